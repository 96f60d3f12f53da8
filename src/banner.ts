/**
 * @module banner
 * The lines `topicd start` prints once it is ready: each listener's URL, the CA path, and the next
 * command a new user runs.
 */
import type { Config } from './config/config.js';
import type { DataPlanePorts } from './transports/data-plane.js';

export function banner(config: Config, profile: string, ports: DataPlanePorts, controlUrl: string, caPath: string, credentialsPath: string): string {
  const host = config.endpoint;
  const lines = [
    'topicd is ready',
    `  Profile         ${profile}   (--profile)`,
    `  HTTPS publish   https://${host}:${ports.https}/topics/{topic}?qos=1   (mutual TLS)`,
    `  MQTT            mqtts://${host}:${ports.mqtt}   (mutual TLS)`,
    ports.alpn === null
      ? '  ALPN port       not listening (see the warning above)'
      : `  ALPN            ${host}:${ports.alpn}   (x-amzn-http-ca: HTTPS, x-amzn-mqtt-ca: MQTT)`,
    ...(ports.alpn === null ? [] : [
      `  MQTT over WSS   wss://${host}:${ports.alpn}/mqtt   (subprotocol mqtt; client certificate or SigV4-presigned URL)`]),
    ...(ports.ws === null ? [] : [
      `  MQTT over WSS   wss://${host}:${ports.ws}/mqtt   (--ws-port; client certificate or SigV4-presigned URL)`]),
    ...(ports.mqttPlain === null ? [] : [
      `  MQTT (plain)    mqtt://${config.mqttPlainHost}:${ports.mqttPlain}   (no TLS, anonymous; may: ${config.mqttPlainAllow}; for development only)`]),
    `  Control plane   ${controlUrl}   (AWS IoT API, SigV4; credentials: ${credentialsPath})`,
    `  Root CA         ${caPath}`,
    '',
    'Next: create a device and its certificate files:',
    `  npx topicd thing create my-device --out ./my-device${config.dataDir === process.cwd() + '/data' ? '' : ` --data-dir ${config.dataDir}`}`,
  ];
  return lines.join('\n');
}
