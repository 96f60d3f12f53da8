/**
 * @module protocol/decode-error
 * The typed error of the inbound MQTT decoder: a packet topicd will not act on, with the v5 reason
 * code the connection ends with. The channel maps it to the wire (DISCONNECT, or CONNACK when the bad
 * packet was a v5 CONNECT; 3.1.1 closes without a word) [MQTT-4.13.1].
 */
import { RC } from './reason-codes.js';

export type DecodeErrorCode = 'MQTT_MALFORMED_PACKET' | 'MQTT_PROTOCOL_ERROR';

/**
 * [MQTT-4.13] "Malformed Packet": the bytes cannot be parsed as the spec says (0x81); "Protocol Error":
 * they parse, but hold data the protocol does not allow (0x82).
 */
export class MqttDecodeError extends Error {
  readonly code: DecodeErrorCode;
  readonly reasonCode: typeof RC.MALFORMED_PACKET | typeof RC.PROTOCOL_ERROR;
  /** The protocol level the bad packet named when it was a CONNECT (4 or 5); undefined for any other packet. */
  readonly connectVersion: number | undefined;

  constructor(code: DecodeErrorCode, message: string, options: { connectVersion?: number | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MqttDecodeError';
    this.code = code;
    this.reasonCode = code === 'MQTT_PROTOCOL_ERROR' ? RC.PROTOCOL_ERROR : RC.MALFORMED_PACKET;
    this.connectVersion = options.connectVersion;
  }
}

export const malformedPacket = (message: string, connectVersion?: number): MqttDecodeError =>
  new MqttDecodeError('MQTT_MALFORMED_PACKET', message, { connectVersion });

export const protocolError = (message: string, connectVersion?: number): MqttDecodeError =>
  new MqttDecodeError('MQTT_PROTOCOL_ERROR', message, { connectVersion });
