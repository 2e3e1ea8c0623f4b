// The paths a stack's state loads the provider from keep resolving: the current one and the one
// 0.1.0 wrote into every resource's __provider (provider/package.json "exports").

import assert from "node:assert/strict";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");

describe("pulumi-healthimaging package exports", () => {
  for (const request of ["pulumi-healthimaging/dist/provider", "pulumi-healthimaging/dist/provider/provider"]) {
    it(`${request} resolves to the provider implementation`, () => {
      const resolved = require.resolve(request, { paths: [ROOT] });
      assert.equal(resolved, path.join(ROOT, "provider", "dist", "lifecycle", "provider.js"));
    });
  }
  it("the package root resolves to the public entry point", () => {
    assert.equal(require.resolve("pulumi-healthimaging", { paths: [ROOT] }), path.join(ROOT, "provider", "dist", "index.js"));
  });
});
