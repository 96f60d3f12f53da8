/**
 * @module transports/iot-data/answer
 * How the iot-data API answers (restJson1, reference §2): a JSON body with `x-amzn-RequestId`, and on
 * an error the type in `x-amzn-ErrorType` with `{"message","traceId"}`: the AWS SDK reads the type from
 * the header, the AWS CLI prints it with the message. The error types and their status codes are the
 * iot-data model's (@aws-sdk/client-iot-data-plane), plus SigV4's own refusals.
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';
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

/** The body of an accepted publish. */
export const publishedBody = (traceId: string): string => `{"message":"OK","traceId":"${traceId}"}`;

const errorBody = (err: IotDataError, traceId: string): string => `{"message":${JSON.stringify(err.message)},"traceId":"${traceId}"}`;

export function sendError(res: ServerResponse, err: IotDataError, traceId: string): void {
  send(res, err.status, errorBody(err, traceId), traceId, err.type);
}

let dateSecond = -1;
let dateText = '';

/** The Date header's value, made once a second (as node does). */
function httpDate(now: number): string {
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

/**
 * An answer as bytes for a socket no ServerResponse writes to (device-path.ts): the headers `send`
 * gives node, then the Date, Connection and Keep-Alive headers node adds. `keepAliveSeconds` undefined
 * means the connection closes after this answer.
 */
export function rawAnswer(status: number, traceId: string, err: IotDataError | undefined, keepAliveSeconds: number | undefined, now: number): string {
  const body = err === undefined ? publishedBody(traceId) : errorBody(err, traceId);
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: ${JSON_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`
    + `x-amzn-RequestId: ${traceId}\r\n${err === undefined ? '' : `x-amzn-ErrorType: ${err.type}\r\n`}Date: ${httpDate(now)}\r\n`
    + (keepAliveSeconds === undefined ? 'Connection: close\r\n\r\n' : `Connection: keep-alive\r\nKeep-Alive: timeout=${keepAliveSeconds}\r\n\r\n`)
    + body;
}
