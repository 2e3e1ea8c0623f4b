// The local service's model-driven validator on its own: how patterns are matched (whole value,
// linear time, the patterns RE2 cannot run), how members are named, what is echoed.

import assert from "node:assert/strict";
import { patternMatcher } from "../../emulator/patterns";
import { parseInput } from "../../emulator/request";
import { shape } from "../../emulator/serviceModel";
import { validateInput } from "../../emulator/validate";

const ID = "0123456789abcdef0123456789abcdef";

function message(op: string, input: Record<string, unknown>): string {
  try {
    validateInput(op, input);
  } catch (e) {
    return (e as Error).message;
  }
  return "";
}

describe("emulator: validation against the service model", () => {
  it("matches patterns against the whole value", () => {
    const id = patternMatcher(shape("DatastoreId").pattern!);
    assert.equal(id(ID), true);
    assert.equal(id(`x${ID}`), false, "a valid run inside a longer value is not a match");
    assert.equal(id(ID.slice(1)), false);
  });

  it("runs MetadataFilePath's nested quantifiers in linear time (V8's backtracking takes seconds at 24 characters)", () => {
    const path = patternMatcher(shape("MetadataFilePath").pattern!);
    const started = Date.now();
    assert.equal(path(`${"a".repeat(1023)}é`), false);
    assert.equal(path(`${"a b".repeat(300)} é`), false);
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    assert.equal(path("study 1/metadata.json"), true);
    assert.equal(path(" leading"), false);
    assert.equal(path("trailing "), false);
  });

  it("runs the patterns RE2 cannot (lookahead, \\p{ASCII}) with the same whole-value semantics", () => {
    const tagKey = patternMatcher(shape("TagKey").pattern!);
    assert.equal(tagKey("pulumi-healthimaging:v12"), true);
    assert.equal(tagKey("aws:reserved"), false);
    assert.equal(tagKey("has space"), false);
    const token = patternMatcher(shape("NextToken").pattern!);
    assert.equal(token("abc+/="), true);
    assert.equal(token("é"), false);
  });

  it("lists every broken member once, by its path, and does not echo sensitive values", () => {
    const text = message("StartDICOMImportJob", {
      datastoreId: ID,
      dataAccessRoleArn: "arn:aws:iam::000000000000:role/x",
      inputS3Uri: "s3://bucket/in/",
      outputS3Uri: "s3://bucket/out/",
      importConfiguration: {
        dicomJsonMetadataImportConfiguration: {
          dicomMetadataMappings: [{ studyInstanceUID: "1.2.3", metadataFilePath: "a" }, { studyInstanceUID: "9.9.secret" }],
        },
      },
    });
    assert.match(text, /^3 validation errors detected: /);
    assert.match(text, /Value null at 'clientToken' failed to satisfy constraint: Member must not be null/);
    assert.match(text, /Value null at 'importConfiguration\.dicomJsonMetadataImportConfiguration\.dicomMetadataMappings\[1\]\.metadataFilePath'/);
    assert.match(
      text,
      /Value at 'importConfiguration\.dicomJsonMetadataImportConfiguration\.dicomMetadataMappings\[1\]\.studyInstanceUID' failed to satisfy constraint: Member must satisfy regular expression pattern/,
    );
    assert.ok(!text.includes("9.9.secret"), "a sensitive value is not echoed");
  });

  it("reports a member's first broken constraint only: length before pattern", () => {
    assert.equal(
      message("CreateDatastore", { clientToken: "" }),
      "1 validation error detected: Value '' at 'clientToken' failed to satisfy constraint: Member must have length between 1 and 64",
    );
  });

  it("parses the request by the model's bindings: labels, typed query values, repeated keys, the payload", () => {
    const q = new URLSearchParams("maxResults=7&force=true&promoteToPrimary=maybe");
    const copy = parseInput("CopyImageSet", { datastoreId: ID, sourceImageSetId: "" }, q, Buffer.from('{"sourceImageSet":{"latestVersionId":"1"}}'));
    assert.deepEqual(copy, { datastoreId: ID, copyImageSetInformation: { sourceImageSet: { latestVersionId: "1" } }, force: true, promoteToPrimary: "maybe" });
    assert.match(
      message("CopyImageSet", copy),
      /Value null at 'sourceImageSetId'.*; Value 'maybe' at 'promoteToPrimary' failed to satisfy constraint: Member must be a boolean/,
    );
    const untag = parseInput("UntagResource", { resourceArn: "arn" }, new URLSearchParams("tagKeys=a&tagKeys=b"), Buffer.alloc(0));
    assert.deepEqual(untag.tagKeys, ["a", "b"]);
    const list = parseInput("ListDatastores", {}, new URLSearchParams("maxResults=1e3"), Buffer.alloc(0));
    assert.match(message("ListDatastores", list), /'maxResults' failed to satisfy constraint: Member must be an integer/);
  });
});
