/**
 * @module console/broker-console-data
 * ConsoleData over one node's broker core: who is connected (each live session's connection, as it
 * describes itself), a client disconnected on an operator's request (MQTT 5: DISCONNECT 0x98),
 * retained messages read from the router's own copy and deleted as MQTT deletes them (a zero-byte
 * retained publish through the publish gate, so subscribers see it), and the dashboard's counters.
 */
import type { Broker } from '../broker/broker.js';
import type { PublishGate } from '../broker/ingress.js';
import type { RetainedEntry } from '../broker/retained.js';
import type { ConnectedClient, ConsoleData, RetainedSummary, StatsSample } from './console-data.js';

export interface BrokerConsoleDataDeps {
  broker: Broker;
  gate: PublishGate;
  /** Cumulative message counters (the metrics); absent, the dashboard shows them as not measured. */
  counters?: () => { messagesIn: number; messagesOut: number; dropped: number; denied: number };
  now?: () => number;
}

export function createBrokerConsoleData(deps: BrokerConsoleDataDeps): ConsoleData {
  const { broker, gate } = deps;
  const now = deps.now ?? Date.now;
  const connected = (): ConnectedClient[] => {
    const out: ConnectedClient[] = [];
    for (const session of broker.allSessions()) {
      const channel = session.channel;
      if (channel === undefined) continue;
      const info = channel.describe();
      out.push({
        clientId: session.clientId, principal: info.principal, transport: info.transport, protocolVersion: info.protocolVersion,
        address: info.address, connectedAt: info.connectedAt, subscriptions: [...session.subscriptions.keys()],
      });
    }
    return out.sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
  };
  return {
    clients: async () => connected(),
    disconnect: async (clientId, options) => broker.disconnect(clientId, { cleanSession: options.cleanSession, preventWill: options.preventWillMessage }),
    retained: {
      async list({ maxResults, nextToken }) {
        const after = nextToken === undefined ? undefined : Buffer.from(nextToken, 'base64url').toString('utf8');
        const entries = broker.retained.list(after, maxResults + 1);
        const page = entries.slice(0, maxResults).map(summaryOf);
        const last = page[page.length - 1];
        return entries.length > maxResults && last ? { retainedTopics: page, nextToken: Buffer.from(last.topic, 'utf8').toString('base64url') } : { retainedTopics: page };
      },
      async get(topic) {
        const entry = broker.retained.get(topic);
        if (entry === undefined) return undefined;
        return { ...summaryOf(entry), payload: entry.message.payload, userProperties: userProperties(entry) };
      },
      async delete(topic) {
        if (broker.retained.get(topic) === undefined) return false;
        // [MQTT-3.3.1-10] a zero-byte retained message deletes the topic's retained message; the route
        // has checked iot:Publish and iot:RetainPublish for the signed-in key.
        gate.publishAsService(topic, Buffer.alloc(0), 0, true);
        return true;
      },
    },
    stats(): StatsSample {
      const clients = connected();
      const counters = deps.counters?.();
      return {
        at: now(), connections: clients.length, subscriptions: clients.reduce((n, c) => n + c.subscriptions.length, 0),
        messagesIn: counters?.messagesIn ?? null, messagesOut: counters?.messagesOut ?? null,
        dropped: counters?.dropped ?? null, denied: counters?.denied ?? null,
      };
    },
  };
}

function summaryOf(entry: RetainedEntry): RetainedSummary {
  return { topic: entry.message.topic, payloadSize: entry.message.payload.length, qos: entry.message.qos, lastModifiedTime: entry.at };
}

function userProperties(entry: RetainedEntry): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(entry.message.properties?.userProperties ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) out.push([name, v]);
  }
  return out;
}
