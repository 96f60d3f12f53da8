/**
 * @module broker/retained-codec
 * A retained Message to and from the Store's RetainedRow. MQTT 5 properties are kept as JSON (with
 * correlation data in base64): this runs once per retained publish, never on the delivery path.
 */
import { createMessage, type Message, type PublishProperties } from '../protocol/codec.js';
import type { RetainedRow } from '../store/store.js';

interface StoredProperties extends Omit<PublishProperties, 'correlationData'> {
  correlationData?: string;
}

export function toRetainedRow(message: Message, now: number): RetainedRow {
  let properties: string | null = null;
  if (message.properties) {
    const { correlationData, ...rest } = message.properties;
    const stored: StoredProperties = correlationData ? { ...rest, correlationData: correlationData.toString('base64') } : rest;
    properties = JSON.stringify(stored);
  }
  return { topic: message.topic, payload: message.payload, qos: message.qos, properties, updatedAt: now };
}

export function fromRetainedRow(row: RetainedRow): Message {
  let properties: PublishProperties | undefined;
  if (row.properties !== null) {
    const { correlationData, ...rest } = JSON.parse(row.properties) as StoredProperties;
    properties = correlationData === undefined ? rest : { ...rest, correlationData: Buffer.from(correlationData, 'base64') };
  }
  return createMessage(row.topic, row.payload, row.qos, true, properties);
}
