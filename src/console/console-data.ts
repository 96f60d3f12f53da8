/**
 * @module console/console-data
 * What the console shows that the AWS control plane has no operation for: the clients connected now,
 * the retained messages, and the counters of the dashboard. One interface, so the console's routes do
 * not care where the answers come from (the broker today, a cluster's view later); main wires an
 * implementation (console/broker-console-data.ts) into the control plane.
 */
import type { ConnectedClient, RetainedSummary, StatsSample } from './api-types.js';

export type { ConnectedClient, RetainedSummary, StatsSample } from './api-types.js';

export interface RetainedMessage extends RetainedSummary {
  payload: Buffer;
  userProperties: Array<[string, string]>;
}

export interface RetainedPage {
  retainedTopics: RetainedSummary[];
  nextToken?: string;
}

/** AWS DeleteConnection's options. */
export interface DisconnectOptions {
  /** Discard the persistent session too. */
  cleanSession: boolean;
  /** Do not publish the client's will. */
  preventWillMessage: boolean;
}

export interface ConsoleData {
  /** The live MQTT connections, in client id order. */
  clients(): Promise<ConnectedClient[]>;
  /** AWS DeleteConnection: closes the client's connection; false when it is not connected. */
  disconnect(clientId: string, options: DisconnectOptions): Promise<boolean>;
  retained: {
    /** AWS ListRetainedMessages: topics in order, `maxResults` per page. */
    list(page: { maxResults: number; nextToken?: string | undefined }): Promise<RetainedPage>;
    /** AWS GetRetainedMessage; undefined when the topic holds none. */
    get(topic: string): Promise<RetainedMessage | undefined>;
    /**
     * Deletes the topic's retained message as MQTT does, by a zero-byte retained publish through the
     * broker (so subscribers see it as AWS's console does it); false when there was none.
     */
    delete(topic: string): Promise<boolean>;
  };
  /** The cumulative counters now. */
  stats(): StatsSample;
}
