/**
 * @module control/access-key-operations
 * topicd's own control-plane routes (not AWS's) for the access keys that sign control-plane and
 * presigned WebSocket requests: create (the secret is returned this once), list (never secrets),
 * delete (not the admin key). Under /topicd/ so they can never collide with an AWS IoT route; SigV4
 * signed like every other route. Entries of the operation table (control/operations.ts).
 */
import { pathLabel } from './input.js';
import type { Operation } from './operation.js';

export const ACCESS_KEY_OPERATIONS: readonly Operation[] = [
  {
    name: 'topicd:CreateAccessKey',
    method: 'POST',
    url: '/topicd/access-keys',
    async handle(ctx) {
      return ctx.accessKeys.create();
    },
  },
  {
    name: 'topicd:ListAccessKeys',
    method: 'GET',
    url: '/topicd/access-keys',
    async handle(ctx) {
      return { accessKeys: await ctx.accessKeys.list() };
    },
  },
  {
    name: 'topicd:DeleteAccessKey',
    method: 'DELETE',
    url: '/topicd/access-keys/:accessKeyId',
    async handle(ctx, req) {
      await ctx.accessKeys.delete(pathLabel(req.params, 'accessKeyId'));
      return {};
    },
  },
];
