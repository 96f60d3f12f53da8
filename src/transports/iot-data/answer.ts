/**
 * @module transports/iot-data/answer
 * How the iot-data API answers (restJson1, reference §2): a JSON body with `x-amzn-RequestId`, and on
 * an error the type in `x-amzn-ErrorType` with `{"message","traceId"}`: the AWS SDK reads the type from
 * the header, the AWS CLI prints it with the message. The error types and their status codes are the
 * iot-data model's (@aws-sdk/client-iot-data-plane), plus SigV4's own refusals.
 */
import type { ServerResponse } from 'node:http';
import type { SigV4ErrorType } from '../../auth/sigv4.js';

export type IotDataErrorType =
  | 'InvalidRequestException'
  | 'UnauthorizedException'
  | 'ForbiddenException'
  | 'ResourceNotFoundException'
  | 'MethodNotAllowedException'
  | 'ConflictException'
  | 'RequestEntityTooLargeException'
  | 'UnsupportedDocumentEncodingException'
  | 'ThrottlingException'
  | 'InternalFailureException'
  | 'ServiceUnavailableException'
  | SigV4ErrorType;

const STATUS: Record<IotDataErrorType, number> = {
  InvalidRequestException: 400,
  UnauthorizedException: 401,
  ForbiddenException: 403,
  ResourceNotFoundException: 404,
  MethodNotAllowedException: 405,
  ConflictException: 409,
  RequestEntityTooLargeException: 413,
  UnsupportedDocumentEncodingException: 415,
  ThrottlingException: 429,
  InternalFailureException: 500,
  ServiceUnavailableException: 503,
  MissingAuthenticationTokenException: 403,
  IncompleteSignatureException: 403,
  InvalidSignatureException: 403,
  UnrecognizedClientException: 403,
};

/** A request error with the AWS type (and status) it is answered with. */
export class IotDataError extends Error {
  readonly status: number;
  constructor(readonly type: IotDataErrorType, message: string, status?: number) {
    super(message);
    this.status = status ?? STATUS[type];
  }
}

const JSON_TYPE = 'application/json';

/** Headers go to writeHead as a flat [name, value, ...] list, so no header object is built per request. */
export function send(res: ServerResponse, status: number, body: string | Buffer, traceId: string, errorType?: string): void {
  const length = String(typeof body === 'string' ? Buffer.byteLength(body) : body.length);
  const headers = errorType
    ? ['content-type', JSON_TYPE, 'content-length', length, 'x-amzn-RequestId', traceId, 'x-amzn-ErrorType', errorType]
    : ['content-type', JSON_TYPE, 'content-length', length, 'x-amzn-RequestId', traceId];
  res.writeHead(status, headers);
  res.end(body);
}

export function sendError(res: ServerResponse, err: IotDataError, traceId: string): void {
  send(res, err.status, `{"message":${JSON.stringify(err.message)},"traceId":"${traceId}"}`, traceId, err.type);
}
