/**
 * @module cli/mqtt-options
 * The options `topicd sub` and `topicd pub` take, as cli/mqtt-commands parses them and cli/mqtt-client
 * reads them, and the server they connect to by default.
 */

/** MQTT.js's protocolVersion: 4 is MQTT 3.1.1. */
export type MqttVersion = 4 | 5;

export interface ConnectOptions {
  certs: string;
  /** `HOST`, `HOST:PORT`, `[IPV6]:PORT`. */
  endpoint?: string;
  port?: number;
  clientId?: string;
  qos: 0 | 1;
  mqttVersion: MqttVersion;
}

export interface SubOptions extends ConnectOptions {
  json?: boolean;
  count?: number;
}

export interface PubOptions extends ConnectOptions {
  retain?: boolean;
}

/** What `topicd sub|pub` connect to when neither --endpoint nor a running topicd's data dir says. */
export const DEFAULT_ENDPOINT = 'localhost';
export const DEFAULT_MQTT_PORT = 8883;
