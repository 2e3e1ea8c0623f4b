// Errors the provider throws. PartialFailure is the dynamic provider's "resource init failed":
// the engine keeps the id and properties in state, so an image set we created is never leaked,
// and the next `pulumi up` calls update, which resumes (the dynamic-provider host turns it into a partial failure: https://github.com/pulumi/pulumi/blob/master/sdk/nodejs/cmd/dynamic-provider/index.ts).

export class PartialFailure extends Error {
  readonly reasons: string[];
  /** must include __provider, or later delete/refresh cannot load the provider */
  readonly properties: Record<string, unknown>;
  constructor(
    readonly id: string,
    properties: Record<string, unknown>,
    message: string,
  ) {
    super(message);
    this.reasons = [message];
    // plain JSON: the host's Struct conversion rejects undefined, and then never answers the engine
    this.properties = JSON.parse(JSON.stringify(properties)) as Record<string, unknown>;
  }
}

export interface ServiceErrorLike {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: string;
}

export function errorName(e: unknown): string {
  return (e as ServiceErrorLike)?.name ?? "Error";
}

export const isNotFound = (e: unknown) => errorName(e) === "ResourceNotFoundException";
export const isConflict = (e: unknown) => errorName(e) === "ConflictException";
export const isThrottling = (e: unknown) => errorName(e) === "ThrottlingException" || (e as ServiceErrorLike)?.$metadata?.httpStatusCode === 429;

/**
 * True when the service certainly rejected the request (a modeled 4xx error), so nothing was
 * done and retrying cannot duplicate work. Network errors and 5xx are ambiguous.
 */
export function certainlyRejected(e: unknown): boolean {
  const status = (e as ServiceErrorLike)?.$metadata?.httpStatusCode;
  return status !== undefined && status >= 400 && status < 500;
}

/** "<Operation> failed: <ServiceError>: <service message>", the service's own words. */
export function describe(operation: string, e: unknown): string {
  return `${operation} failed: ${errorName(e)}: ${(e as ServiceErrorLike)?.message ?? String(e)}`;
}
