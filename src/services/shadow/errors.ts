/**
 * @module services/shadow/errors
 * The Device Shadow service's refusals: one typed error carrying AWS's HTTP code, message and iot-data
 * error type, and the MQTT error document built from it. Over MQTT a refusal is published on the
 * request's `/rejected` topic; over REST the same error is the HTTP answer and nothing is published
 * (AWS: device-shadow-error-messages.md, "If the client updates the document using the REST API, then
 * it receives the HTTP error code as part of its response, and no MQTT error messages are emitted").
 *
 * Messages are AWS's own text (device-shadow-error-messages.md); the 404 quotes the shadow's name: the
 * thing name for the classic shadow, the shadow name for a named one, as AWS's tutorials and the
 * device SDKs' tests show (`No shadow exists with name: 'simShadow1'`).
 */
import { isStoreUnavailable, TopicdError, type AwsErrorType, type StoreUnavailableError } from '../../errors.js';

/** A request the shadow service refuses; `status` is the `code` of the error document. */
export class ShadowError extends TopicdError {
  constructor(code: AwsErrorType, status: number, message: string, options?: { cause?: unknown }) {
    super(code, message, { status, cause: options?.cause });
    this.name = 'ShadowError';
  }
}

const invalid = (message: string): ShadowError => new ShadowError('InvalidRequestException', 400, message);

/** Every refusal, by name. AWS: device-shadow-error-messages.md. */
export const shadowErrors = {
  invalidJson: (): ShadowError => invalid('Invalid JSON'),
  missingState: (): ShadowError => invalid('Missing required node: state'),
  stateNotObject: (): ShadowError => invalid('State node must be an object'),
  desiredNotObject: (): ShadowError => invalid('Desired node must be an object'),
  reportedNotObject: (): ShadowError => invalid('Reported node must be an object'),
  invalidVersion: (): ShadowError => invalid('Invalid version'),
  /** AWS: a client token longer than 64 bytes. */
  invalidClientToken: (): ShadowError => invalid('Invalid clientToken'),
  tooDeep: (maxDepth: number): ShadowError => invalid(`JSON contains too many levels of nesting; maximum is ${maxDepth}`),
  /** A state key other than desired/reported, or a null inside an array (AWS: "Arrays can't have null values"). */
  invalidNode: (): ShadowError => invalid('State contains an invalid node'),
  /** The REST names; AWS's model validation wording. */
  invalidName: (member: 'thingName' | 'shadowName' | 'pageSize', value: string): ShadowError =>
    invalid(`1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint`),
  unauthorized: (): ShadowError => new ShadowError('UnauthorizedException', 401, 'Unauthorized'),
  forbidden: (): ShadowError => new ShadowError('ForbiddenException', 403, 'Forbidden'),
  noShadow: (name: string): ShadowError => new ShadowError('ResourceNotFoundException', 404, `No shadow exists with name: '${name}'`),
  versionConflict: (): ShadowError => new ShadowError('ConflictException', 409, 'Version conflict'),
  tooLarge: (): ShadowError => new ShadowError('RequestEntityTooLargeException', 413, 'The payload exceeds the maximum size allowed'),
  /** AWS's message, typo included ("documented encoding"). */
  notUtf8: (): ShadowError =>
    new ShadowError('UnsupportedDocumentEncodingException', 415, 'Unsupported documented encoding; supported encoding is UTF-8'),
  /** AWS documents the code (more than 10 in-flight requests) but no message text; this is the HTTP reason phrase. */
  throttled: (): ShadowError => new ShadowError('ThrottlingException', 429, 'Too Many Requests'),
  internal: (cause?: unknown): ShadowError => new ShadowError('InternalFailureException', 500, 'Internal service failure', { cause }),
};

/** Any error as a shadow refusal: ours as they are, anything else (a failed store write) a 500. */
export function asShadowError(err: unknown): ShadowError {
  return err instanceof ShadowError ? err : shadowErrors.internal(err);
}

/**
 * The same over REST, but for a store out of reach (a cluster's PostgreSQL), which stays itself: the
 * iot-data API answers it with AWS's 503 ServiceUnavailableException (the MQTT error document has no
 * such code, so over MQTT it is the 500 above).
 */
export function asRestError(err: unknown): ShadowError | StoreUnavailableError {
  return isStoreUnavailable(err) ? err : asShadowError(err);
}

/**
 * The MQTT error document. AWS: device-shadow-document.md, "Error response document":
 * `{"code","message","timestamp","clientToken"}`, the client token only when the request carried a valid one.
 */
export function errorDocument(err: ShadowError, timestamp: number, clientToken?: string): Buffer {
  const doc: Record<string, unknown> = { code: err.status, message: err.message, timestamp };
  if (clientToken !== undefined) doc.clientToken = clientToken;
  return Buffer.from(JSON.stringify(doc));
}
