/**
 * @module cli/mqtt-commands
 * `topicd sub` and `topicd pub`: their options and help. The client itself (cli/mqtt-client,
 * MQTT.js) loads only when one of them runs, so `topicd --help` and the other commands stay quick.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { GlobalOptions } from './context.js';
import { DEVICE_CA_FILE, DEVICE_CERT_FILE, DEVICE_KEY_FILE } from './device-setup.js';
import { DEFAULT_ENDPOINT, DEFAULT_MQTT_PORT, type MqttVersion, type PubOptions, type SubOptions } from './mqtt-options.js';

const parseQos = (value: string): 0 | 1 => {
  if (value !== '0' && value !== '1') throw new InvalidArgumentError('must be 0 or 1');
  return Number(value) as 0 | 1;
};

const parseMqttVersion = (value: string): MqttVersion => {
  if (value === '5') return 5;
  if (value === '3.1.1' || value === '4') return 4;
  throw new InvalidArgumentError('must be 5 or 3.1.1');
};

const parsePositive = (what: string) => (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`must be a ${what}`);
  return n;
};

const parsePort = (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new InvalidArgumentError('must be a port number 1-65535');
  return n;
};

/** The options sub and pub share; `qos` is each command's own default. */
function connectionOptions(command: Command, qos: 0 | 1): Command {
  return command
    .requiredOption('--certs <dir>', `directory holding ${DEVICE_CERT_FILE}, ${DEVICE_KEY_FILE} and ${DEVICE_CA_FILE} (from \`topicd thing create\`; \`.\` inside it)`)
    .addOption(new Option('--qos <qos>', 'QoS 0 or 1').argParser(parseQos).default(qos, String(qos)))
    .option('--client-id <id>', 'MQTT client id (default: <thing>.cli-<random> for a thing\'s certificate, else topicd-cli-<random>)')
    .option('--endpoint <host[:port]>', `MQTT server (default: the running topicd's, from DATA/runtime.json; else ${DEFAULT_ENDPOINT}:${DEFAULT_MQTT_PORT})`)
    .option('--port <port>', 'MQTT port, when --endpoint names none', parsePort)
    .addOption(new Option('--mqtt-version <version>', 'MQTT protocol version: 5 or 3.1.1').argParser(parseMqttVersion).default(5 as const, '5'));
}

export function registerMqttCommands(program: Command): void {
  connectionOptions(program.command('sub'), 0)
    .description('subscribe over MQTT (mutual TLS) and print each message as `TOPIC PAYLOAD`')
    .argument('<filter...>', 'topic filters; + and # are wildcards (quote # in a shell)')
    .option('--json', 'print one JSON object per line: {"topic","payload","qos","retain"} (+ "payloadBase64" when the payload is not UTF-8)')
    .option('--count <n>', 'exit after n messages', parsePositive('positive whole number'))
    .action(async (filters: string[], options: SubOptions, command: Command) => {
      const { subscribe } = await import('./mqtt-client.js');
      await subscribe(filters, options, command.optsWithGlobals<GlobalOptions>());
    });

  connectionOptions(program.command('pub'), 1)
    .description('publish one message over MQTT (mutual TLS); exits 0 only once the server accepted it (the PUBACK, at QoS 1)')
    .argument('<topic>', 'topic name (no wildcards)')
    .argument('<message>', 'payload, sent as UTF-8')
    .option('--retain', 'set the RETAIN flag')
    .action(async (topic: string, message: string, options: PubOptions, command: Command) => {
      const { publish } = await import('./mqtt-client.js');
      await publish(topic, message, options, command.optsWithGlobals<GlobalOptions>());
    });
}
