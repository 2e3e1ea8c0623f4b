// The provider's own folder on this machine: the journal of accepted copies and the durations
// learned in earlier runs. PULUMI_HEALTHIMAGING_HOME moves it (tests give each run its own).

import * as os from "node:os";
import * as path from "node:path";

export function homeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PULUMI_HEALTHIMAGING_HOME ?? path.join(os.homedir(), ".pulumi-healthimaging");
}
