// The service's clock (provider/service/clock.ts): recovery judges "created after our request" by
// the Date header of the service's answers, not by this machine's clock. A real SDK client, with a
// request handler that answers locally (no network) as a service whose clock runs 7 minutes ahead:
// SigV4 would accept a client that far off, and a window on the local clock would miss the copy.

import assert from "node:assert/strict";
import { GetImageSetCommand, MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import { HttpResponse } from "@smithy/protocol-http";
import { Readable } from "node:stream";
import { CLOCK_RESOLUTION_MS, serviceNow, watchServiceClock } from "../../provider/service/clock";
import { processState } from "../../provider/settings/processState";

const AHEAD_MS = 7 * 60 * 1000;

function clientAnsweringAt(offsetMs: number | undefined): MedicalImagingClient {
  const client = new MedicalImagingClient({
    region: "us-east-1",
    endpoint: "http://127.0.0.1:9",
    disableHostPrefix: true,
    credentials: { accessKeyId: "placeholder", secretAccessKey: "placeholder" },
    requestHandler: {
      handle: async () => ({
        response: new HttpResponse({
          statusCode: 200,
          headers: { "content-type": "application/json", ...(offsetMs === undefined ? {} : { date: new Date(Date.now() + offsetMs).toUTCString() }) },
          body: Readable.from([
            JSON.stringify({
              datastoreId: "a".repeat(32),
              imageSetId: "b".repeat(32),
              versionId: "1",
              imageSetState: "ACTIVE",
              imageSetWorkflowStatus: "COPIED",
            }),
          ]),
        }),
      }),
    },
  });
  watchServiceClock(client);
  return client;
}

describe("provider/clock: the service's time, from its answers", () => {
  beforeEach(() => {
    processState().serviceClockOffsetMs = undefined;
  });

  it("follows a service clock minutes ahead of this machine's", async () => {
    await clientAnsweringAt(AHEAD_MS).send(new GetImageSetCommand({ datastoreId: "a".repeat(32), imageSetId: "b".repeat(32) }));
    const drift = serviceNow() - (Date.now() + AHEAD_MS);
    assert.ok(Math.abs(drift) <= CLOCK_RESOLUTION_MS + 100, `serviceNow() is ${drift} ms off the service's clock`);
  });

  it("and one behind", async () => {
    await clientAnsweringAt(-AHEAD_MS).send(new GetImageSetCommand({ datastoreId: "a".repeat(32), imageSetId: "b".repeat(32) }));
    assert.ok(Math.abs(serviceNow() - (Date.now() - AHEAD_MS)) <= CLOCK_RESOLUTION_MS + 100);
  });

  it("without a Date header, keeps what it knew (the local clock before any answer)", async () => {
    await clientAnsweringAt(undefined).send(new GetImageSetCommand({ datastoreId: "a".repeat(32), imageSetId: "b".repeat(32) }));
    assert.ok(Math.abs(serviceNow() - Date.now()) <= 50);
  });
});
