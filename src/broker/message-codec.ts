/**
 * @module broker/message-codec
 * A Message to and from the Store's rows (retained messages, messages owed to sessions), and a
 * session's subscription as its row. MQTT 5
 * properties are kept as JSON, correlation data in base64: this runs once per stored message,
 * never on the plain delivery path.
 */
import { createMessage, type Message, type QoS } from '../protocol/codec.js';
import { parseProperties, serializeProperties } from '../protocol/properties-json.js';
import type { RetainedRow, SessionMessageRow, SessionSubscriptionRow } from '../store/store.js';

export { parseProperties, serializeProperties };

export function toRetainedRow(message: Message, now: number): RetainedRow {
  return { topic: message.topic, payload: message.payload, qos: message.qos, properties: serializeProperties(message.properties), updatedAt: now };
}

export function fromRetainedRow(row: RetainedRow): Message {
  const properties = parseProperties(row.properties);
  const interval = properties?.messageExpiryInterval;
  // The expiry runs from when the message was retained, not from this load.
  return createMessage(row.topic, row.payload, row.qos, true, properties, interval === undefined ? undefined : row.updatedAt + interval * 1000);
}

/** The row of a delivery owed at `qos` (which may be lower than the message's). */
export function toSessionMessageRow(message: Message, seq: number, qos: QoS, ids: readonly number[] | undefined): SessionMessageRow {
  const row: SessionMessageRow = {
    seq, topic: message.topic, payload: message.payload, qos,
    properties: serializeProperties(message.properties), expiresAt: message.expiresAt ?? null,
  };
  if (ids !== undefined) row.identifiers = [...ids];
  return row;
}

export function fromSessionMessageRow(row: SessionMessageRow): Message {
  return createMessage(row.topic, row.payload, row.qos, false, parseProperties(row.properties), row.expiresAt ?? undefined);
}

/** The Store's row of one subscription (options and identifier only when set, as the store returns them). */
export function subscriptionRow(filter: string, sub: { qos: QoS; flags: number; id: number }): SessionSubscriptionRow {
  const row: SessionSubscriptionRow = { filter, qos: sub.qos };
  if (sub.flags !== 0) row.options = sub.flags;
  if (sub.id !== 0) row.identifier = sub.id;
  return row;
}
