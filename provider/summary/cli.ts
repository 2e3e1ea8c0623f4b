// `npx pulumi-healthimaging summarize preview.json [--tps 0.25]`: the pull-request summary of a
// `pulumi preview --json` (summary/summarize.ts), printed as Markdown.

import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { lowestWriteRate, ratesInUse, statedRates } from "./rates";
import { summarize, writeRateInputs } from "./summarize";

const USAGE = `usage: pulumi-healthimaging summarize <preview.json> [--tps <write calls per second>]

  <preview.json>  the output of \`pulumi preview --json\` ("-" reads stdin)
  --tps           the account's write rate for every operation; default: per operation, the
                  lowest writeRate input in the preview, else PULUMI_HEALTHIMAGING_<COPY|UPDATE|
                  DELETE>_TPS, else the rate an earlier run on this machine learned for the
                  account, else AWS's documented rate (CopyImageSet 0.25, UpdateImageSetMetadata 10)
`;

/** Runs the command line; returns the exit code. */
export function main(argv: string[]): number {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { tps: { type: "string" }, help: { type: "boolean", short: "h" } } });
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
  const tps = parsed.values.tps === undefined ? undefined : Number(parsed.values.tps);
  if (tps !== undefined && !(tps > 0)) {
    process.stderr.write(`--tps: must be a positive number, got ${JSON.stringify(parsed.values.tps)}\n`);
    return 2;
  }
  let preview: unknown;
  try {
    preview = JSON.parse(fs.readFileSync(file === "-" ? 0 : file, "utf8"));
  } catch (e) {
    process.stderr.write(`${file}: not a \`pulumi preview --json\` output: ${(e as Error).message}\n`);
    return 1;
  }
  const parsedPreview = preview as Parameters<typeof summarize>[0];
  const rates = tps !== undefined ? statedRates(tps) : ratesInUse(lowestWriteRate(writeRateInputs(parsedPreview)));
  process.stdout.write(summarize(parsedPreview, { rates }));
  return 0;
}
