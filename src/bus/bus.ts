/**
 * @module bus
 * The Bus port: what crosses between the nodes of a cluster. Messages published on one node go to
 * the nodes that have subscribers for their topic (interest-based routing: a node declares the
 * filters it serves and receives only what matches them), control events go to every node (registry
 * changes, node deaths), and a session is claimed from whichever node holds it. Backends: LocalBus
 * (in-process; one node, or several nodes of one process on one hub in tests) and NatsBus (NATS).
 * Both pass one contract suite (test/unit/bus-contract.ts).
 *
 * What crosses a process boundary is versioned: a message envelope starts with its version byte, an
 * event carries `v` (bus/envelope.ts). The bus knows messages and client ids, never sessions.
 */
import type { Message } from '../protocol/codec.js';

/** A control event: `kind` names it, `body` is its JSON fields, `from` the node that sent it. */
export interface BusEvent {
  readonly kind: string;
  readonly from: string;
  readonly body: Readonly<Record<string, unknown>>;
}

/** A message's request for an acknowledgement: the sending instance, and the id it answers to. */
export interface AckRequest {
  readonly origin: string;
  readonly id: number;
}

/**
 * A message from another node; `share` is the shared subscription (`$share/g/f`) it was chosen for,
 * if any; `ask` when its sender waits for this node's copies to be durable (broker/cluster-acks.ts).
 */
export type MessageHandler = (message: Message, share: string | undefined, ask: AckRequest | undefined) => void;

/** Acknowledgements from one node: `keys[i]` (its node id, or the share it served) for `ids[i]`. */
export interface AckAnswer {
  readonly ids: readonly number[];
  readonly keys: readonly string[];
}

export interface Bus {
  /** This node's name in the cluster. */
  readonly nodeId: string;
  /** This process: the node id and a random part (a restarted node is a new instance). */
  readonly instance: string;
  /** Whether other nodes can hear this one; false for the embedded single node, where the broker skips the bus. */
  readonly clustered: boolean;
  /** Whether the bus reaches the other nodes now. */
  readonly connected: boolean;
  /** Told on every change of `connected` (for the log and readiness). */
  onConnectedChange(listener: (connected: boolean) => void): void;
  /**
   * Hands a message published on this node to every other node with a plain interest matching its
   * topic (once per node, however many of its filters match), and to one node, this one included, of
   * each shared subscription whose filter matches. A retained message reaches every other node (each
   * keeps the retained messages). Never waits; in the publisher's order. `ackId` (not 0): the
   * receivers answer it (`answer`) once their copies are durable.
   */
  forward(message: Message, ackId?: number): void;
  /** Sends acknowledgements to the instance that asked for them. */
  answer(instance: string, answer: AckAnswer): void;
  onAnswer(handler: (answer: AckAnswer) => void): void;
  /**
   * This node serves (`on`) or no longer serves a filter; `share` names a shared subscription
   * (`$share/g/f`, whose filter is `filter`): its messages go to one of its nodes. Counted: as many
   * offs as ons end it.
   */
  interest(filter: string, on: boolean, share?: string): void;
  onMessage(handler: MessageHandler): void;
  /** Sends an event to every other node. */
  announce(kind: string, body: Record<string, unknown>): void;
  /** Adds a listener for the other nodes' events (each part of a node listens for its own kinds). */
  onEvent(handler: (event: BusEvent) => void): void;
  /**
   * Asks the node holding the client id's session to let it go (close its connection, make its writes
   * durable); resolves true once it did, false when no node holds it or none answered in time.
   */
  claim(clientId: string): Promise<boolean>;
  /** This node holds (`true`) or released a client id's session; `onClaim` is asked to give it up. */
  hold(clientId: string, held: boolean): void;
  onClaim(handler: (clientId: string) => Promise<void>): void;
  close(): Promise<void>;
}

/** How long a claim waits for the holder to give a session up. */
export const CLAIM_TIMEOUT_MS = 2000;
