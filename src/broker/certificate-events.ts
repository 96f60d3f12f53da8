/**
 * @module broker/certificate-events
 * AWS IoT's just-in-time registration event: when a device first connects with a certificate from a
 * registered CA that has auto-registration enabled, AWS registers it as PENDING_ACTIVATION and
 * publishes `$aws/events/certificates/registered/<caCertificateId>` with {certificateId,
 * caCertificateId, timestamp, certificateStatus, awsAccountId, certificateRegistrationTimestamp}
 * (AWS IoT developer guide, "Just-in-time registration"). Published through the broker as the
 * lifecycle events are (QoS 1); `#` never matches it.
 */
import { createMessage } from '../protocol/codec.js';
import type { Broker } from './broker.js';

export interface CertificateRegistered {
  readonly caCertificateId: string;
}

export function publishCertificateRegistered(broker: Broker, event: CertificateRegistered): void {
  const topic = `$aws/events/certificates/registered/${event.caCertificateId}`;
  broker.publish(createMessage(topic, Buffer.from(JSON.stringify(event)), 1, false));
}
