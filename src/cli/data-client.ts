/**
 * @module cli/data-client
 * A small iot-data client for the CLI: SigV4 (signing name `iotdata`, as the AWS SDKs sign) over HTTPS
 * to the running topicd's ALPN port without a client certificate, trusting topicd's root CA, exactly as
 * the AWS CLI calls the data endpoint. A failed call throws ControlError with the AWS error type, so the
 * CLI prints `topicd: <ErrorType>: <message>` as for the control plane.
 */
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AccessKey } from './control-client.js';
import { CliError, ControlError } from './errors.js';

export interface DataClientOptions {
  host: string;
  port: number;
  region: string;
  credentials: AccessKey;
  /** topicd's root CA (PEM). */
  ca: string;
}

export interface DataAnswer {
  status: number;
  body: Buffer;
}

// RFC 3986 unreserved characters stay; everything else is %XX, as SigV4 canonicalizes.
const escape = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Escapes one path label (a thing name, a topic with its slashes) the way the AWS SDKs do. */
export const label = (s: string): string => escape(s);

export class DataClient {
  private readonly signer: SignatureV4;

  constructor(private readonly options: DataClientOptions) {
    this.signer = new SignatureV4({ service: 'iotdata', region: options.region, credentials: options.credentials, sha256: Hash.bind(null, 'sha256') });
  }

  /** One signed call; `path` labels must already be escaped (see `label`). Resolves with a 2xx answer only. */
  async request(method: string, path: string, query: Record<string, string | undefined> = {}, body?: Buffer): Promise<DataAnswer> {
    const { host, port } = this.options;
    const q: Record<string, string> = {};
    for (const [k, v] of Object.entries(query)) if (v !== undefined) q[k] = v;
    const signed = await this.signer.sign(new HttpRequest({
      method, protocol: 'https:', hostname: host, port, path, query: q,
      headers: { host: `${host}:${port}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body,
    }));
    const search = Object.keys(q).sort().map((k) => `${escape(k)}=${escape(q[k] ?? '')}`).join('&');
    const answer = await new Promise<DataAnswer>((resolve, reject) => {
      const req = httpsRequest({
        host, port, method, path: `${path}${search === '' ? '' : `?${search}`}`, headers: signed.headers, ca: this.options.ca,
        // SNI must name the endpoint; an IP address is not a valid SNI name.
        ...(isIP(host) === 0 ? { servername: host } : {}),
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ...errorOf(res.headers) }));
        res.on('error', reject);
      });
      req.on('error', (err) => reject(new CliError(`cannot reach topicd's data endpoint at https://${host}:${port}: ${err.message} (is topicd running?)`)));
      req.end(body);
    });
    if (answer.status >= 200 && answer.status < 300) return answer;
    let message = answer.body.toString('utf8').trim();
    try {
      message = String((JSON.parse(message) as { message?: unknown }).message ?? message);
    } catch {
      // not JSON: the text as it came
    }
    throw new ControlError((answer as DataAnswer & { type?: string }).type ?? `HTTP ${answer.status}`, message, answer.status);
  }
}

function errorOf(headers: Record<string, string | string[] | undefined>): { type?: string } {
  const type = headers['x-amzn-errortype'];
  return typeof type === 'string' ? { type: type.split(':')[0] ?? type } : {};
}
