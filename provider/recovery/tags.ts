// Tags the provider puts on what it makes. They carry the owner ("<project>/<stack>/<name>") and
// a fingerprint of the inputs, never patient data.

/** On an image set a resource created: who made it. */
export const OWNER_TAG = "pulumi-healthimaging:owner";
/** On an image set a resource created: fingerprint of the declared copy (adoption after interruption). */
export const INPUTS_TAG = "pulumi-healthimaging:inputs";
// Versions the stack made are listed in one tag, recovery/madeVersions.ts (0.1.0 wrote one tag per version).
