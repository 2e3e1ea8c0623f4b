// ---------------------------------------------------------------------------------------------
// dcmjs

import dcmjs from "dcmjs";
import { DicomImportError } from "./errors";

// dcmjs logs through loglevel ("Invalid vr type xs - using US" on implicit-VR files).
dcmjs.log.getLogger("validation.dcmjs").setLevel("silent");
dcmjs.log.setLevel("silent");

export const { DicomMessage, DicomMetaDictionary } = dcmjs.data;

export type DcmjsElement = { vr: string; Value?: unknown[]; _rawValue?: unknown };
export type DcmjsDataset = Record<string, DcmjsElement>;

export function readWithDcmjs(bytes: Buffer): { meta: DcmjsDataset; dict: DcmjsDataset } {
  // Small Buffers share a pool, so hand dcmjs a copy of exactly this file's bytes.
  const arrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  try {
    const parsed = DicomMessage.readFile(arrayBuffer, { ignoreErrors: false, noCopy: false });
    return { meta: parsed.meta as DcmjsDataset, dict: parsed.dict as DcmjsDataset };
  } catch (err) {
    throw new DicomImportError("UNREADABLE", `DICOM data set cannot be read: ${describeParserError(err)}.`);
  }
}

/**
 * dcmjs's own wording, minus anything that could echo an element value ("Not a number: <value>",
 * "value: <value>"), so patient data never reaches a failure report.
 */
function describeParserError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const firstLine = message.split("\n")[0].replace(/\.$/, "");
  const redacted = firstLine.replace(/(Not a number:|value:)[^,]*/gi, "$1 <redacted>");
  return redacted.length > 200 ? `${redacted.slice(0, 200)}…` : redacted || "unknown parser error";
}
