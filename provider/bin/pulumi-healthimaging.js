#!/usr/bin/env node
// The `pulumi-healthimaging` command (summarize a preview for a pull request); see dist/summary/cli.js.
Promise.resolve(require("../dist/summary/cli.js").main(process.argv.slice(2))).then((code) => {
  process.exitCode = code;
});
