/**
 * @module control/operations
 * Every AWS IoT control-plane operation topicd serves, as one table (the Operation contract is in
 * operation.ts, each noun's operations in their own module): a new operation is one entry in its
 * noun's table.
 */
import { ACCESS_KEY_OPERATIONS } from './access-key-operations.js';
import { CA_OPERATIONS } from './ca-operations.js';
import type { Operation } from './operation.js';
import { POLICY_OPERATIONS } from './policy-operations.js';
import { REGISTRY_OPERATIONS } from './registry-operations.js';
import { THING_TYPE_OPERATIONS } from './thing-type-operations.js';

export type { HttpMethod, Operation, OperationContext, OperationRequest } from './operation.js';
export { ENDPOINT_TYPES } from './registry-operations.js';

/** Every operation the control plane serves. */
export const OPERATIONS: readonly Operation[] = [
  ...REGISTRY_OPERATIONS, ...THING_TYPE_OPERATIONS, ...ACCESS_KEY_OPERATIONS, ...CA_OPERATIONS, ...POLICY_OPERATIONS,
];
