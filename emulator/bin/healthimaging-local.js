#!/usr/bin/env node
// The `healthimaging-local` command: a committed file, so npm links it at install time, before the
// TypeScript build has produced dist/.
require("../dist/cli.js");
