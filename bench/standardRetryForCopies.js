// Preloaded into the Pulumi processes (NODE_OPTIONS=--require) for the "client fix" fleet
// variant only: makes the provider's single-attempt CopyImageSet client use the SDK's "standard"
// retry mode instead of "adaptive". With "adaptive", the first ThrottlingException switches on the
// SDK's own client-side rate limiter (CUBIC, starting from a low measured rate) on top of the
// provider's pacer, and copies queue twice. The fix belongs in provider/client.ts.
const Module = require("module");
const load = Module._load;
let patched;
Module._load = function (request, parent, isMain) {
  const m = load.apply(this, arguments);
  if (request !== "@aws-sdk/client-medical-imaging") return m;
  if (!patched) {
    const Base = m.MedicalImagingClient;
    class MedicalImagingClient extends Base {
      constructor(config) {
        super(config && config.maxAttempts === 1 ? { ...config, retryMode: "standard" } : config);
      }
    }
    patched = { ...m, MedicalImagingClient };
  }
  return patched;
};
