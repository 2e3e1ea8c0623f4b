// Environment variables set for one mocha suite and put back after it.

/** Sets `vars` before the enclosing suite's tests (undefined unsets one) and restores them after. */
export function suiteEnv(vars: Record<string, string | undefined>): void {
  const saved: Record<string, string | undefined> = {};
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  before(() => {
    for (const k of Object.keys(vars)) saved[k] = process.env[k];
    apply(vars);
  });
  after(() => apply(saved));
}
