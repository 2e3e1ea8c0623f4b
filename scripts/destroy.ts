// `npm run destroy`: tears down every stack the scripts made — the quickstart stack of `npm start`
// and each example's stack of `npm run example` (their image sets deleted, merges undone) —
// removes those stacks and the files the examples' programs wrote (EXAMPLE_OUTPUT_FILES), then
// stops the local service. Its data folder (.healthimaging-local/) is kept: the seeded image sets
// are still there next time.

import * as path from "node:path";
import { ensureService, installPulumi, pulumi, pulumiEnv, ROOT, say, stopService } from "./local";
import { EXAMPLE_CONFIG, EXAMPLES_DIR, STACK as EXAMPLE_STACK, removeOutputs } from "./run-example";

const STACK = process.env.PULUMI_STACK_NAME ?? "dev";

/** Stacks of the Pulumi project in dir (the file backend lists the current project's stacks). */
function stacksIn(env: NodeJS.ProcessEnv, dir: string): string[] {
  const listed = JSON.parse(pulumi(env, ["stack", "ls", "--json"], { cwd: dir, stdio: "pipe" })) as { name: string }[];
  return listed.map((s) => s.name);
}

/** Destroys a stack's resources, then removes the stack (and its Pulumi.<stack>.yaml). */
function destroyStack(env: NodeJS.ProcessEnv, dir: string, stack: string): void {
  pulumi(env, ["destroy", "--yes", "--skip-preview", "--stack", stack], { cwd: dir });
  pulumi(env, ["stack", "rm", "--yes", "--stack", stack], { cwd: dir });
}

async function main(): Promise<void> {
  const env = pulumiEnv(installPulumi());
  await ensureService();
  for (const name of Object.keys(EXAMPLE_CONFIG)) {
    const dir = path.join(EXAMPLES_DIR, name);
    if (stacksIn(env, dir).includes(EXAMPLE_STACK)) {
      say(`pulumi destroy (examples/${name}, stack ${EXAMPLE_STACK})`);
      destroyStack(env, dir, EXAMPLE_STACK);
    }
    removeOutputs(name);
  }
  say(`pulumi destroy (quickstart, stack ${STACK})`);
  if (stacksIn(env, ROOT).includes(STACK)) {
    destroyStack(env, ROOT, STACK);
  } else {
    process.stderr.write("no quickstart stack: nothing to destroy\n");
  }
  say("Stopping the local service");
  process.stderr.write((await stopService()) ? "stopped\n" : "it was not started by npm start; left alone\n");
}

main().catch((e: Error) => {
  process.stderr.write(`\nnpm run destroy failed: ${e.message}\n`);
  process.exit(1);
});
