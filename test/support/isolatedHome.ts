// Loaded by mocha before any test (.mocharc.json): the provider's home folder (journal, learned
// durations) goes to a temporary folder for this test run, never to the developer's
// ~/.pulumi-healthimaging, and the provider processes the tests start inherit it.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const home = fs.mkdtempSync(path.join(os.tmpdir(), "hi-home-"));
process.env.PULUMI_HEALTHIMAGING_HOME = home;
process.on("exit", () => fs.rmSync(home, { recursive: true, force: true }));
