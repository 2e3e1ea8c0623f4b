// `npm run destroy`: `pulumi destroy` of the quickstart stack (merges undone, copies deleted), then
// stop the local service. Its data folder (.healthimaging-local/) is kept: the seeded image sets
// are still there next time.

import { ensureService, installPulumi, pulumi, pulumiEnv, say, stopService } from "./local";

const STACK = process.env.PULUMI_STACK_NAME ?? "dev";

async function main(): Promise<void> {
  const env = pulumiEnv(installPulumi());
  await ensureService();
  say(`pulumi destroy (stack ${STACK})`);
  pulumi(env, ["stack", "select", STACK, "--create"]);
  pulumi(env, ["destroy", "--yes", "--skip-preview"]);
  say("Stopping the local service");
  process.stderr.write(stopService() ? "stopped\n" : "it was not started by npm start; left alone\n");
}

main().catch((e: Error) => {
  process.stderr.write(`\nnpm run destroy failed: ${e.message}\n`);
  process.exit(1);
});
