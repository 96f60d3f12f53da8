/**
 * @module protocol/properties-json
 * MQTT 5 PUBLISH properties as JSON text, correlation data in base64: how the Store keeps them and
 * how a bus envelope carries them. Runs once per stored or forwarded message that has properties,
 * never on the plain delivery path.
 */
import type { PublishProperties } from './codec.js';

interface StoredProperties extends Omit<PublishProperties, 'correlationData'> {
  correlationData?: string;
}

export function serializeProperties(properties: PublishProperties | undefined): string | null {
  if (!properties) return null;
  const { correlationData, ...rest } = properties;
  return JSON.stringify(correlationData ? { ...rest, correlationData: correlationData.toString('base64') } : rest);
}

export function parseProperties(text: string | null): PublishProperties | undefined {
  if (text === null) return undefined;
  const { correlationData, ...rest } = JSON.parse(text) as StoredProperties;
  return correlationData === undefined ? rest : { ...rest, correlationData: Buffer.from(correlationData, 'base64') };
}
