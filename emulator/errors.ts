// Typed service errors. Each maps to the HTTP status and x-amzn-ErrorType the real service uses
// (the error shapes' httpStatusCode in emulator/model/service-2.json; ServiceQuotaExceeded really
// is 402).

export const ERROR_STATUS = {
  ValidationException: 400,
  AccessDeniedException: 403,
  InvalidSignatureException: 403,
  UnrecognizedClientException: 403,
  ResourceNotFoundException: 404,
  ConflictException: 409,
  ServiceQuotaExceededException: 402,
  ThrottlingException: 429,
  InternalServerException: 500,
} as const;

export type ErrorName = keyof typeof ERROR_STATUS;

export class ServiceError extends Error {
  constructor(
    readonly errorType: ErrorName,
    message: string,
  ) {
    super(message);
    this.name = errorType;
  }
  get status(): number {
    return ERROR_STATUS[this.errorType];
  }
}

export const validation = (message: string) => new ServiceError("ValidationException", message);
export const notFound = (message: string) => new ServiceError("ResourceNotFoundException", message);
export const conflict = (message: string) => new ServiceError("ConflictException", message);
export const quotaExceeded = (message: string) => new ServiceError("ServiceQuotaExceededException", message);
export const throttled = (message = "Rate exceeded") => new ServiceError("ThrottlingException", message);

export function isErrorName(name: string): name is ErrorName {
  return Object.hasOwn(ERROR_STATUS, name);
}
