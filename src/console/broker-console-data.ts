/**
 * @module console/broker-console-data
 * ConsoleData over what one node's Broker and Store expose today, with no change to either:
 *
 * - Clients come from AWS's lifecycle events (`$aws/events/presence/...` and
 *   `$aws/events/subscriptions/...`), heard through a broker subscription of an internal session
 *   (DESIGN: the console reaches the broker through subscriptions and the gate only). That gives the
 *   client id, principal, address, time and the filters subscribed since the CONNECT; it does not give
 *   the protocol version, nor the subscriptions a resumed persistent session brought back.
 * - Retained messages are read from the Store's RetainedStore (the broker's own copy is private) and
 *   deleted as MQTT deletes them: a zero-byte retained publish through the broker.
 * - Disconnecting a client and the message counters need the broker to expose them (see
 *   `BrokerConsoleDataDeps`); until it does, disconnect answers ServiceUnavailable and the dashboard
 *   shows those counters as not measured.
 */
import type { Broker } from '../broker/broker.js';
import type { SessionChannel } from '../broker/session.js';
import { fromRetainedRow } from '../broker/message-codec.js';
import { createMessage, isExpired, type Message } from '../protocol/codec.js';
import type { RetainedRow, RetainedStore } from '../store/store.js';
import { TopicdError } from '../errors.js';
import type { ConnectedClient, ConsoleData, DisconnectOptions, RetainedMessage, RetainedPage, RetainedSummary, StatsSample } from './console-data.js';

/**
 * The tap's client id. [MQTT-1.5.4-2] forbids U+0000 in a UTF-8 string, so no MQTT client can take
 * this id over, and AWS's lifecycle events are published for clients only, never for it.
 */
const TAP_CLIENT_ID = '\u0000topicd-console';
const LIFECYCLE_FILTERS = ['$aws/events/presence/+/+', '$aws/events/subscriptions/+/+'];

export interface BrokerConsoleDataDeps {
  broker: Broker;
  retained: RetainedStore;
  /**
   * Closes one client's connection (AWS DeleteConnection); false when it is not connected. The broker
   * does not expose this yet: absent, disconnect answers ServiceUnavailable.
   */
  disconnect?: (clientId: string, options: DisconnectOptions) => boolean;
  /** Cumulative message counters (issue 13 §2's metrics); absent, the dashboard shows them as not measured. */
  counters?: () => { messagesIn: number; messagesOut: number; dropped: number; denied: number };
  now?: () => number;
}

interface Tracked extends ConnectedClient {
  sessionIdentifier: string;
}

interface LifecycleEvent {
  clientId?: unknown;
  timestamp?: unknown;
  eventType?: unknown;
  sessionIdentifier?: unknown;
  principalIdentifier?: unknown;
  ipAddress?: unknown;
  topics?: unknown;
}

/** Builds the ConsoleData and starts listening to lifecycle events; call before any client connects. */
export function createBrokerConsoleData(deps: BrokerConsoleDataDeps): ConsoleData {
  const now = deps.now ?? Date.now;
  const clients = new Map<string, Tracked>();
  const apply = (event: LifecycleEvent): void => {
    const { clientId, sessionIdentifier } = event;
    if (typeof clientId !== 'string' || typeof sessionIdentifier !== 'string') return;
    const current = clients.get(clientId);
    // A takeover's old connection reports its end after the new one connected: match the connection.
    const same = current?.sessionIdentifier === sessionIdentifier;
    switch (event.eventType) {
      case 'connected': {
        const principal = typeof event.principalIdentifier === 'string' ? event.principalIdentifier : '';
        clients.set(clientId, {
          clientId, sessionIdentifier, principal,
          // Access keys reach MQTT only over WebSocket (a presigned URL or the console); a certificate may use either.
          transport: /^AKIA[A-Z0-9]{16}$/.test(principal) ? 'websocket' : null,
          protocolVersion: null,
          address: typeof event.ipAddress === 'string' ? event.ipAddress : '',
          connectedAt: typeof event.timestamp === 'number' ? event.timestamp : now(),
          subscriptions: [],
        });
        return;
      }
      case 'disconnected':
        if (same) clients.delete(clientId);
        return;
      case 'subscribed':
      case 'unsubscribed': {
        if (!same || !Array.isArray(event.topics)) return;
        const topics = event.topics.filter((t): t is string => typeof t === 'string');
        const set = new Set(current.subscriptions);
        for (const t of topics) {
          if (event.eventType === 'subscribed') set.add(t);
          else set.delete(t);
        }
        current.subscriptions = [...set].sort();
        return;
      }
    }
  };
  listenToLifecycle(deps.broker, apply);

  /** The retained rows whose message has not expired, in topic order. */
  const liveRows = async (): Promise<RetainedRow[]> => {
    const at = now();
    return (await deps.retained.all())
      .filter((row) => !isExpired(fromRetainedRow(row), at))
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
  };

  return {
    async clients() {
      return [...clients.values()]
        .map(({ sessionIdentifier: _, ...client }) => ({ ...client, subscriptions: [...client.subscriptions] }))
        .sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
    },
    async disconnect(clientId, options) {
      if (!deps.disconnect) {
        throw new TopicdError('ServiceUnavailableException', 'Disconnecting a client is not available yet: the broker does not expose it (issue 13).');
      }
      return deps.disconnect(clientId, options);
    },
    retained: {
      async list({ maxResults, nextToken }): Promise<RetainedPage> {
        const after = nextToken === undefined ? undefined : Buffer.from(nextToken, 'base64url').toString('utf8');
        const live = (await liveRows()).filter((row) => after === undefined || row.topic > after);
        const page = live.slice(0, maxResults).map(summaryOf);
        const last = page[page.length - 1];
        return live.length > maxResults && last ? { retainedTopics: page, nextToken: Buffer.from(last.topic, 'utf8').toString('base64url') } : { retainedTopics: page };
      },
      async get(topic): Promise<RetainedMessage | undefined> {
        const row = await deps.retained.get(topic);
        if (!row) return undefined;
        const message = fromRetainedRow(row);
        if (isExpired(message, now())) return undefined;
        return { ...summaryOf(row), payload: row.payload, userProperties: userProperties(message) };
      },
      async delete(topic) {
        if (!(await liveRows()).some((row) => row.topic === topic)) return false;
        // [MQTT-3.3.1-10] a zero-byte retained message deletes the topic's retained message.
        deps.broker.publish(createMessage(topic, Buffer.alloc(0), 0, true));
        return true;
      },
    },
    stats(): StatsSample {
      let subscriptions = 0;
      for (const c of clients.values()) subscriptions += c.subscriptions.length;
      const counters = deps.counters?.();
      return {
        at: now(), connections: clients.size, subscriptions,
        messagesIn: counters?.messagesIn ?? null, messagesOut: counters?.messagesOut ?? null,
        dropped: counters?.dropped ?? null, denied: counters?.denied ?? null,
      };
    },
  };
}

function summaryOf(row: RetainedRow): RetainedSummary {
  return { topic: row.topic, payloadSize: row.payload.length, qos: row.qos, lastModifiedTime: row.updatedAt };
}

function userProperties(message: Message): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(message.properties?.userProperties ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) out.push([name, v]);
  }
  return out;
}

/** Subscribes an internal session to the lifecycle topics; it takes the session back if it is ever taken. */
function listenToLifecycle(broker: Broker, apply: (event: LifecycleEvent) => void): void {
  const channel: SessionChannel = {
    sendWindow: 1,
    mayReceive: () => true,
    sendPublish(message) {
      try {
        apply(JSON.parse(message.payload.toString('utf8')) as LifecycleEvent);
      } catch {
        // Only the broker publishes on $aws/events; a payload that is not its JSON is not an event.
      }
      return true;
    },
    sendPubrel: () => undefined,
    takenOver: () => setImmediate(open),
  };
  const open = (): void => {
    const { session } = broker.openSession(TAP_CLIENT_ID, true, 0);
    session.attach(channel);
    // QoS 0: the tap acknowledges nothing and is never owed a message.
    for (const filter of LIFECYCLE_FILTERS) broker.subscribe(session, filter, 0);
  };
  open();
}
