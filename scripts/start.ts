// `npm start`: the main job. Starts the local HealthImaging service (and leaves it running, so
// you can look at the result), seeds it with the pydicom sample studies once, and runs
// `pulumi up` of the quickstart (Pulumi.yaml at the repository root). Running it again changes
// nothing. `npm run destroy` tears the stack down and stops the service.

import { awsCliHint, ENDPOINT, ensureSeeded, ensureService, imageSetOf, installPulumi, pulumi, previewHint, pulumiEnv, QUICKSTART_SERIES, say } from "./local";

const STACK = process.env.PULUMI_STACK_NAME ?? "dev";

async function main(): Promise<void> {
  say("Pulumi CLI");
  const env = pulumiEnv(installPulumi());

  say(`Local HealthImaging service at ${ENDPOINT}`);
  const service = await ensureService();
  process.stderr.write(service === "started" ? "started in the background\n" : "already running\n");

  say("Sample data (pydicom dicomdirtests, imported with StartDICOMImportJob)");
  const seeded = await ensureSeeded();
  process.stderr.write(`data store ${seeded.datastoreId}: ${seeded.imageSets.length} image sets\n`);

  say(`pulumi up (stack ${STACK})`);
  pulumi(env, ["stack", "select", STACK, "--create"]);
  pulumi(env, ["config", "set", "datastoreId", seeded.datastoreId]);
  pulumi(env, ["config", "set", "ctImageSetId", imageSetOf(seeded, QUICKSTART_SERIES.ct)]);
  pulumi(env, ["config", "set", "mrImageSetId", imageSetOf(seeded, QUICKSTART_SERIES.mrAngio)]);
  pulumi(env, ["config", "set", "mrLocalizerImageSetId", imageSetOf(seeded, QUICKSTART_SERIES.mrLocalizer)]);
  pulumi(env, ["up", "--yes", "--skip-preview"]);

  say("Stack outputs");
  const outputs = JSON.parse(pulumi(env, ["stack", "output", "--json"], { stdio: "pipe" }));
  process.stdout.write(`${JSON.stringify(outputs, null, 2)}\n`);
  process.stderr.write(
    [
      "",
      "Inspect them with the AWS CLI (the service keeps running; `bash scripts/install-aws-cli.sh` prints the path of an AWS CLI if you have none):",
      ...awsCliHint(seeded.datastoreId, { get: outputs.angioImageSetId, versions: outputs.mergedIntoImageSetId }).map((line) => `  ${line}`),
      "or from code: new MedicalImagingClient({ endpoint, region, disableHostPrefix: true }).",
      "Check that nothing drifted:",
      `  ${previewHint(STACK)}`,
      "Tear down (this stack, the example stacks, and the service): npm run destroy",
      "",
    ].join("\n"),
  );
}

main().catch((e: Error) => {
  process.stderr.write(`\nnpm start failed: ${e.message}\n`);
  process.exit(1);
});
