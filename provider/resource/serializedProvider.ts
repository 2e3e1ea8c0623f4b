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

/** The provider objects dist/provider exports, by the resource they implement. */
type Exported = "derivedImageSetProvider" | "cohortImageSetsProvider";

/**
 * A provider that forwards each call to `name`, the implementation dist/provider exports. Only the
 * name is captured, so the serialized text is the forwarding code plus that one string.
 */
function serializedProviderOf(name: Exported): Impl {
  // A string literal, so closure serialization keeps it as a plain require in the text.
  const implementation = () => require("pulumi-healthimaging/dist/provider")[name] as Impl;
  return {
    check: (olds, news) => implementation().check!(olds, news),
    diff: (id, olds, news) => implementation().diff!(id, olds, news),
    create: (inputs) => implementation().create(inputs),
    read: (id, props) => implementation().read!(id, props),
    update: (id, olds, news) => implementation().update!(id, olds, news),
    delete: (id, props) => implementation().delete!(id, props),
  };
}

/** DerivedImageSet's (lifecycle/provider.ts). */
export const serializedProvider: Impl = serializedProviderOf("derivedImageSetProvider");

/** The same for CohortImageSets (batch/provider.ts). */
export const serializedCohortProvider: Impl = serializedProviderOf("cohortImageSetsProvider");
