// The program the pull-request workflow previews (.github/workflows/pulumi-preview.yml): the
// dataset-curation program, run on this folder's cohorts.yaml (Pulumi runs a program in its
// project folder, and the manifest path is relative to it). A pull request that edits
// cohorts.yaml gets a comment showing which cohorts' image sets it would create, update in
// place, or replace.
//
// Stack config: datastoreId (required), manifest (optional, default cohorts.yaml).
// In a repository of its own, copy ../dataset-curation/{index,curation}.ts here instead.

import program = require("../dataset-curation/index");

export = program;
