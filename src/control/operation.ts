/**
 * @module control/operation
 * The contract of one control-plane operation: AWS's operation name, its method and route, and a
 * handler that reads the members off the wire and calls the registries. Handlers return the output
 * structure (sent as JSON) or undefined for an operation without output; they know nothing of
 * fastify, and the server knows nothing of any one operation.
 */
import type { AccessKeyRegistryApi } from '../registry/access-keys.js';
import type { CaRegistryApi } from '../registry/ca-types.js';
import type { RegistryApi } from '../registry/types.js';
import type { HeaderBag, QueryBag } from './input.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface OperationRequest {
  /** Path labels, already percent-decoded. */
  params: Record<string, string>;
  query: QueryBag;
  /** Lowercase names. */
  headers: HeaderBag;
  /** The raw body (the bytes SigV4 covered). */
  body: Buffer;
}

export interface OperationContext {
  registry: RegistryApi;
  /** Bring your own CA: CA certificates and registered device certificates. */
  caRegistry: CaRegistryApi;
  /** The data endpoint every endpoint type answers. */
  endpoint: string;
  /** topicd's access keys (the /topicd/access-keys extension). */
  accessKeys: AccessKeyRegistryApi;
}

export interface Operation {
  /** AWS's operation name. */
  name: string;
  method: HttpMethod;
  /** fastify route syntax (`:label`). */
  url: string;
  /** The output structure, or undefined when the operation has no output (an empty 200). */
  handle(ctx: OperationContext, req: OperationRequest): Promise<object | undefined>;
}
