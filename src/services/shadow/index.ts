/**
 * @module services/shadow
 * The Device Shadow service's public surface: what the broker (the ShadowOutlet on the publish gate),
 * the iot-data REST routes and main.ts use. Everything else in this folder is internal.
 */
export { ShadowService, type ListNamedShadowsResult, type ShadowOutlet, type ShadowServiceOptions } from './service.js';
export { AWS_SHADOW_LIMITS, DEFAULT_SHADOW_LIMITS, type ShadowLimits } from './limits.js';
export { ShadowError, errorDocument, shadowErrors } from './errors.js';
export {
  formatShadowTopic, isShadowName, isThingName, parseShadowTopic, shadowPrefix,
  type ShadowOperation, type ShadowRef, type ShadowResponse, type ShadowTopic,
} from './topics.js';
export { attachShadowService, isShadowTopicOrFilter } from './gate-service.js';
