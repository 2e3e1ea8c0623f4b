#!/usr/bin/env node
// The `pulumi-healthimaging` command (summarize a preview for a pull request); see dist/summary/cli.js.
process.exitCode = require("../dist/summary/cli.js").main(process.argv.slice(2));
