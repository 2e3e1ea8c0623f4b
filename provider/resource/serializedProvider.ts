// What goes into each resource's __provider: a few hundred bytes that load the implementation
// from the installed package, instead of the whole implementation serialized by value
// (~100 KB per resource, stored twice in state).
//
// Consequences, all wanted: state stays small; upgrading pulumi-healthimaging changes the code
// that runs for existing resources too (delete and refresh included) without a spurious
// `~__provider` diff on every resource (pulumi/pulumi#12401, #16826); and the provider process
// loads the SDK once. The package must be resolvable from the Pulumi project's directory, which
// it is for any project that depends on it (in this repository, npm workspaces link it).

import type * as pulumi from "@pulumi/pulumi";

type Impl = pulumi.dynamic.ResourceProvider;

function implementation(): Impl {
  // A string literal, so closure serialization keeps it as a plain require in the text.
  return require("pulumi-healthimaging/dist/provider").derivedImageSetProvider as Impl;
}

export const serializedProvider: Impl = {
  check: (olds, news) => implementation().check!(olds, news),
  diff: (id, olds, news) => implementation().diff!(id, olds, news),
  create: (inputs) => implementation().create(inputs),
  read: (id, props) => implementation().read!(id, props),
  update: (id, olds, news) => implementation().update!(id, olds, news),
  delete: (id, props) => implementation().delete!(id, props),
};

function cohortImplementation(): Impl {
  return require("pulumi-healthimaging/dist/provider").cohortImageSetsProvider as Impl;
}

/** The same for CohortImageSets (batch/provider.ts). */
export const serializedCohortProvider: Impl = {
  check: (olds, news) => cohortImplementation().check!(olds, news),
  diff: (id, olds, news) => cohortImplementation().diff!(id, olds, news),
  create: (inputs) => cohortImplementation().create(inputs),
  read: (id, props) => cohortImplementation().read!(id, props),
  update: (id, olds, news) => cohortImplementation().update!(id, olds, news),
  delete: (id, props) => cohortImplementation().delete!(id, props),
};
