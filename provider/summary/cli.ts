// `npx pulumi-healthimaging summarize preview.json [--tps 0.25] [--read-tiers]`: the pull-request
// summary of a `pulumi preview --json` (summary/summarize.ts), printed as Markdown. With
// --read-tiers it also reads the storage tier of every source image set the change copies from
// (GetImageSet, read-only and no access; summary/tiers.ts) and adds what `up` does to them and the
// new storage it makes, with cost estimates.

import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { imagingClient, resolveConnection } from "../service/client";
import { serviceNow } from "../service/clock";
import { findImageSet } from "../service/find";
import { changesOf, summarize, type TierInfo, writeRateInputs } from "./summarize";
import { MAX_READS_DEFAULT, READ_TPS_DEFAULT, readTiers, tierSources } from "./tiers";
import { lowestWriteRate, ratesInUse, statedRates } from "./rates";

const USAGE = `usage: pulumi-healthimaging summarize <preview.json> [--tps <write calls per second>] [--read-tiers [--max-reads <n>] [--read-tps <n>]]

  <preview.json>  the output of \`pulumi preview --json\` ("-" reads stdin)
  --tps           the account's write rate for every operation; default: per operation, the
                  lowest writeRate input in the preview, else PULUMI_HEALTHIMAGING_<COPY|UPDATE|
                  DELETE>_TPS, else the rate an earlier run on this machine learned for the
                  account, else AWS's documented rate (CopyImageSet 0.25, UpdateImageSetMetadata 10)
  --read-tiers    read the storage tier of each source image set the change copies from (one
                  GetImageSet each: read-only, and no access, so it moves nothing) and add what
                  \`up\` does to them and to new storage, with cost estimates. Needs AWS credentials
                  and the region (each resource's region/endpoint, else AWS_REGION and
                  AWS_ENDPOINT_URL_MEDICAL_IMAGING).
  --max-reads     read at most this many sources (default ${MAX_READS_DEFAULT})
  --read-tps      GetImageSet calls per second (default ${READ_TPS_DEFAULT})
`;

const positive = (name: string, v: string | undefined): number | undefined | Error => {
  if (v === undefined) return undefined;
  const n = Number(v);
  return n > 0 && Number.isFinite(n) ? n : new Error(`--${name}: must be a positive number, got ${JSON.stringify(v)}`);
};

/** Runs the command line; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        tps: { type: "string" },
        "read-tiers": { type: "boolean" },
        "max-reads": { type: "string" },
        "read-tps": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [command, file] = parsed.positionals;
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command !== "summarize" || !file) {
    process.stderr.write(USAGE);
    return 2;
  }
  const tps = positive("tps", parsed.values.tps as string | undefined);
  const maxReads = positive("max-reads", parsed.values["max-reads"] as string | undefined);
  const readTps = positive("read-tps", parsed.values["read-tps"] as string | undefined);
  for (const v of [tps, maxReads, readTps])
    if (v instanceof Error) {
      process.stderr.write(`${v.message}\n`);
      return 2;
    }
  let preview: Parameters<typeof summarize>[0];
  try {
    preview = JSON.parse(fs.readFileSync(file === "-" ? 0 : file, "utf8"));
  } catch (e) {
    process.stderr.write(`${file}: not a \`pulumi preview --json\` output: ${(e as Error).message}\n`);
    return 1;
  }
  const parsedPreview = preview as Parameters<typeof summarize>[0];
  const rates = tps !== undefined ? statedRates(tps as number) : ratesInUse(lowestWriteRate(writeRateInputs(parsedPreview)));
  let tiers: TierInfo | undefined;
  if (parsed.values["read-tiers"]) {
    const sources = tierSources(preview as Parameters<typeof tierSources>[0], changesOf(preview));
    try {
      for (const s of sources) resolveConnection(s); // where each is: a missing region fails here, once
    } catch (e) {
      process.stderr.write(`--read-tiers: ${(e as Error).message}\n`);
      return 1;
    }
    // each read's own failure (access denied, not found) is reported in the section, by error name
    const readings = await readTiers(sources, (s) => findImageSet(imagingClient(resolveConnection(s)), s.datastoreId, s.imageSetId), {
      maxReads: maxReads as number | undefined,
      tps: readTps as number | undefined,
    });
    // ages by the service's clock (its Date header), as lastAccessedAt is
    tiers = { sources, readings, now: new Date(serviceNow()) };
  }
  process.stdout.write(summarize(parsedPreview, { rates, tiers }));
  return 0;
}
