/**
 * @module broker/certificate-events
 * AWS IoT's just-in-time registration event: when a device first connects with a certificate from a
 * registered CA that has auto-registration enabled, AWS registers it as PENDING_ACTIVATION and
 * publishes `$aws/events/certificates/registered/<caCertificateId>` with {certificateId,
 * caCertificateId, timestamp, certificateStatus, awsAccountId, certificateRegistrationTimestamp}
 * (AWS IoT developer guide, "Just-in-time registration"). Published through the publish gate as
 * the lifecycle events are (QoS 1); `#` never matches it.
 */
import type { PublishGate } from './ingress.js';

export interface CertificateRegistered {
  readonly caCertificateId: string;
}

export function publishCertificateRegistered(gate: PublishGate, event: CertificateRegistered): void {
  gate.publishAsService(`$aws/events/certificates/registered/${event.caCertificateId}`, Buffer.from(JSON.stringify(event)), 1);
}
