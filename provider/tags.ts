// Tags the provider puts on what it makes. They carry the owner ("<project>/<stack>/<name>") and
// a fingerprint of the inputs, never patient data.

/** On an image set a resource created: who made it. */
export const OWNER_TAG = "pulumi-healthimaging:owner";
/** On an image set a resource created: fingerprint of the declared copy (adoption after interruption). */
export const INPUTS_TAG = "pulumi-healthimaging:inputs";
/** On any image set: version <id> was made by the resource named in the value (drift detection, undo). */
export const versionTag = (versionId: string) => `pulumi-healthimaging:v${versionId}`;
