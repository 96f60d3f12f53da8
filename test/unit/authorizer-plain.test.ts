/**
 * @module test/unit/authorizer-plain.test
 * The plain development listener's authorizer against the Authorizer contract: it serves anonymous
 * clients only, and mqtt-plain-allow decides.
 */
import { PlainListenerAuthorizer } from '../../src/auth/authorizer.js';
import { authorizerContract } from './authorizer-contract.js';

const anonymous = { kind: 'anonymous', sourceIp: '127.0.0.1' } as const;

authorizerContract('PlainListenerAuthorizer', {
  allowing: async () => ({ authorizer: new PlainListenerAuthorizer({ publish: true, subscribe: true }), principal: anonymous }),
  refusing: async () => ({ authorizer: new PlainListenerAuthorizer({ publish: false, subscribe: false }), principal: anonymous }),
  stranger: { kind: 'certificate', certificateId: 'a'.repeat(64), sourceIp: '127.0.0.1' },
});
