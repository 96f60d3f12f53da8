/**
 * @module errors
 * Typed errors with stable codes. Code below the edges throws these; only the edges (the HTTPS data
 * plane, the control plane, the MQTT connection) map them to an AWS error type, an HTTP status or an
 * MQTT reason code. Each `code` is the AWS error type name, so the control plane sends it as is.
 */

/** AWS error type name -> HTTP status, as the control plane (`iot`) and data plane (`iot-data`) send them. */
export const AWS_ERROR_STATUS = {
  InvalidRequestException: 400,
  MalformedPolicyException: 400,
  CertificateValidationException: 400,
  RegistrationCodeValidationException: 400,
  ThrottlingException: 400,
  UnauthorizedException: 401,
  ForbiddenException: 403,
  /** IAM's answer when the caller's policies do not allow the operation. */
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  MethodNotAllowedException: 405,
  CertificateStateException: 406,
  ResourceAlreadyExistsException: 409,
  DeleteConflictException: 409,
  VersionConflictException: 409,
  CertificateConflictException: 409,
  ConflictException: 409,
  VersionsLimitExceededException: 409,
  LimitExceededException: 410,
  RequestEntityTooLargeException: 413,
  UnsupportedDocumentEncodingException: 415,
  InternalFailureException: 500,
  ServiceUnavailableException: 503,
} as const satisfies Record<string, number>;

export type AwsErrorType = keyof typeof AWS_ERROR_STATUS;

/** An error a caller caused or may see; `code` is its AWS error type. */
export class TopicdError extends Error {
  readonly code: AwsErrorType;
  readonly status: number;
  /** Extra members of the AWS error body (ResourceAlreadyExists carries resourceId and resourceArn). */
  readonly fields: Readonly<Record<string, string>>;

  constructor(code: AwsErrorType, message: string, options?: { cause?: unknown; fields?: Record<string, string>; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = code;
    this.code = code;
    this.status = options?.status ?? AWS_ERROR_STATUS[code];
    this.fields = options?.fields ?? {};
  }
}

export const invalidRequest = (message: string): TopicdError => new TopicdError('InvalidRequestException', message);
export const notFound = (message: string): TopicdError => new TopicdError('ResourceNotFoundException', message);
export const alreadyExists = (message: string, resourceId: string, resourceArn: string): TopicdError =>
  new TopicdError('ResourceAlreadyExistsException', message, { fields: { resourceId, resourceArn } });

export const isTopicdError = (err: unknown): err is TopicdError => err instanceof TopicdError;

/**
 * A policy document AWS IoT would refuse (CreatePolicy, CreatePolicyVersion: 400
 * MalformedPolicyException). `path` locates the problem in the document, as in `Statement[1].Effect`
 * ('' when it concerns the whole document: invalid JSON, the size limit), so `topicd policy` and the
 * control plane can point at it; the message is `path: problem`.
 */
export class MalformedPolicyError extends TopicdError {
  readonly path: string;
  readonly problem: string;

  constructor(path: string, problem: string) {
    super('MalformedPolicyException', path === '' ? problem : `${path}: ${problem}`);
    this.path = path;
    this.problem = problem;
  }
}

/**
 * The store cannot be reached (PostgreSQL down, a connection lost, a write that did not finish in
 * time). Stable code `StoreUnavailable`; at the edges it is AWS's 503 ServiceUnavailableException. A
 * write that rejects with it may or may not have been stored, but was never acknowledged: callers
 * must not acknowledge it, and may retry once the store is back.
 */
export class StoreUnavailableError extends TopicdError {
  static readonly CODE = 'StoreUnavailable';
  readonly reason = StoreUnavailableError.CODE;

  constructor(message: string, cause?: unknown) {
    super('ServiceUnavailableException', message, cause === undefined ? undefined : { cause });
    this.name = 'StoreUnavailableError';
  }
}

export const isStoreUnavailable = (err: unknown): err is StoreUnavailableError => err instanceof StoreUnavailableError;
