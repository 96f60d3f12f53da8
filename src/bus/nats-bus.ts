/**
 * @module bus/nats-bus
 * The Bus over NATS. A message is published once, on its topic's subject (bus/subjects.ts); each node
 * subscribes to the subjects of the filters it serves, so NATS sends a node only what it has
 * subscribers for. A shared subscription is a NATS queue subscription (queue = `$share/g/f`), so
 * NATS picks one node per message across the cluster. Events go on one subject every node hears; a
 * client id's holder listens on its claim subject, so a claim with no holder fails at once (NATS: no
 * responders) rather than waiting.
 *
 * One connection, in order: NATS keeps a publisher's order to each subscriber. A node whose filters
 * overlap gets a message once per matching subscription: the sequence number of its sender instance
 * drops the repeats. Its own messages come back on the plain subscriptions (the shared ones need
 * them) and are dropped there.
 *
 * NATS unreachable: the node serves its own clients, `connected` is false, publishes wait in the
 * client's reconnect buffer (8 MB) and go out when NATS is back; subscriptions are made again then.
 */
import { randomBytes } from 'node:crypto';
import { connect, Events, type Msg, type NatsConnection, type NatsError, type Subscription } from 'nats';
import type { Message } from '../protocol/codec.js';
import { CLAIM_TIMEOUT_MS, type AckAnswer, type Bus, type BusEvent, type MessageHandler } from './bus.js';
import { decodeAnswer, decodeEnvelope, decodeEvent, encodeAnswer, encodeEnvelope, encodeEvent, type Envelope } from './envelope.js';
import { answerSubject, claimSubject, EVENT_SUBJECT, filterSubjects, ALL_SUBJECT, topicSubject } from './subjects.js';

export interface NatsBusOptions {
  /** `nats://HOST:PORT`, or a comma list of them. */
  url: string;
  nodeId: string;
  /** Errors that belong to no call (a handler that threw, a publish refused). */
  onError: (err: unknown, context: string) => void;
}

interface Interest {
  count: number;
  subjects: string[];
  share: string | undefined;
  subs: Subscription[];
}

const EMPTY = new Uint8Array(0);

export class NatsBus implements Bus {
  readonly clustered = true;
  readonly nodeId: string;
  connected = false;
  /** The node id and a random part, so a restarted node's sequence starts afresh. */
  readonly instance: string;
  private seq = 0;
  /** Last sequence seen per sender instance on the plain subscriptions. */
  private readonly lastSeq = new Map<string, number>();
  private readonly interests = new Map<string, Interest>();
  private readonly holds = new Map<string, Subscription | undefined>();
  private nc: NatsConnection | undefined;
  private closed = false;
  private readonly connectedListeners: Array<(connected: boolean) => void> = [];
  private messageHandler: MessageHandler = () => undefined;
  private readonly eventHandlers: Array<(event: BusEvent) => void> = [];
  private claimHandler: (clientId: string) => Promise<void> = async () => undefined;
  private answerHandler: (answer: AckAnswer) => void = () => undefined;
  private readonly onError: NatsBusOptions['onError'];
  private readonly opened: Promise<void>;

  /** Starts connecting (and keeps trying); `ready` says when the first connection is up. */
  constructor(private readonly options: NatsBusOptions) {
    this.nodeId = options.nodeId;
    this.onError = options.onError;
    this.instance = `${options.nodeId}/${randomBytes(4).toString('hex')}`;
    this.opened = this.open();
  }

  /** Resolves once connected, or after `ms` (the node then serves locally until NATS is reachable). */
  async ready(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.opened, new Promise((resolve) => { timer = setTimeout(resolve, ms); })]);
    clearTimeout(timer);
    return this.connected;
  }

  private async open(): Promise<void> {
    const nc = await connect({
      servers: this.options.url.split(',').map((s) => s.replace(/^nats:\/\//, '')),
      name: `topicd ${this.nodeId}`,
      waitOnFirstConnect: true, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 250, pingInterval: 5000,
    }).catch((err: unknown) => {
      this.onError(err, 'bus connect');
      return undefined;
    });
    if (nc === undefined) return;
    if (this.closed) {
      await nc.close();
      return;
    }
    this.nc = nc;
    nc.subscribe(EVENT_SUBJECT, { callback: (err, msg) => this.onEventMsg(err, msg) });
    nc.subscribe(ALL_SUBJECT, { callback: (err, msg) => this.onPlain(err, msg) });
    nc.subscribe(answerSubject(this.instance), { callback: (err, msg) => this.onAnswerMsg(err, msg) });
    for (const interest of this.interests.values()) this.subscribe(nc, interest);
    for (const clientId of this.holds.keys()) this.holds.set(clientId, this.holdSub(nc, clientId));
    // The server has the subscriptions before the node says it is connected.
    await nc.flush().catch((err: unknown) => this.onError(err, 'bus flush'));
    this.setConnected(true);
    void this.watch(nc);
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === Events.Disconnect) this.setConnected(false);
      else if (status.type === Events.Reconnect) this.setConnected(true);
    }
  }

  private setConnected(connected: boolean): void {
    if (this.connected === connected) return;
    this.connected = connected;
    for (const listener of this.connectedListeners) listener(connected);
  }

  onConnectedChange(listener: (connected: boolean) => void): void {
    this.connectedListeners.push(listener);
  }

  /** Hot path: one envelope, one publish. */
  forward(message: Message, ackId = 0): void {
    const nc = this.nc;
    if (nc === undefined) return;
    try {
      const subject = topicSubject(message.topic);
      const envelope = encodeEnvelope(message, this.instance, ++this.seq, ackId);
      nc.publish(subject, envelope);
      // Every node keeps retained messages, subscribers or not; a node that had the first copy drops this one (same sequence).
      if (message.retain && subject !== ALL_SUBJECT) nc.publish(ALL_SUBJECT, envelope);
    } catch (err) {
      this.onError(err, 'bus publish');
    }
  }

  interest(filter: string, on: boolean, share?: string): void {
    const key = share ?? filter;
    let interest = this.interests.get(key);
    if (on) {
      if (interest !== undefined) {
        interest.count++;
        return;
      }
      interest = { count: 1, subjects: filterSubjects(filter), share, subs: [] };
      this.interests.set(key, interest);
      if (this.nc !== undefined) this.subscribe(this.nc, interest);
      return;
    }
    if (interest === undefined || --interest.count > 0) return;
    this.interests.delete(key);
    for (const sub of interest.subs) sub.unsubscribe();
  }

  private subscribe(nc: NatsConnection, interest: Interest): void {
    const share = interest.share;
    interest.subs = interest.subjects.map((subject) => share === undefined
      ? nc.subscribe(subject, { callback: (err, msg) => this.onPlain(err, msg) })
      : nc.subscribe(subject, { queue: share, callback: (err, msg) => this.onShared(err, msg, share) }));
  }

  private onPlain(err: NatsError | null, msg: Msg): void {
    if (err !== null) return this.onError(err, 'bus subscription');
    const envelope = decodeEnvelope(msg.data);
    if (envelope === undefined || envelope.instance === this.instance) return;
    const last = this.lastSeq.get(envelope.instance) ?? 0;
    if (envelope.seq <= last) return;
    this.lastSeq.set(envelope.instance, envelope.seq);
    this.deliver(envelope, undefined);
  }

  private onShared(err: NatsError | null, msg: Msg, share: string): void {
    if (err !== null) return this.onError(err, 'bus subscription');
    const envelope = decodeEnvelope(msg.data);
    if (envelope !== undefined) this.deliver(envelope, share);
  }

  private deliver(envelope: Envelope, share: string | undefined): void {
    try {
      // Cluster-only path: the acknowledgement request is made only when one was asked for.
      this.messageHandler(envelope.message, share, envelope.ackId === 0 ? undefined : { origin: envelope.instance, id: envelope.ackId });
    } catch (err) {
      this.onError(err, 'bus message handler');
    }
  }

  onMessage(handler: MessageHandler): void {
    this.messageHandler = handler;
  }

  answer(instance: string, answer: AckAnswer): void {
    try {
      this.nc?.publish(answerSubject(instance), encodeAnswer(answer));
    } catch (err) {
      this.onError(err, 'bus answer');
    }
  }

  onAnswer(handler: (answer: AckAnswer) => void): void {
    this.answerHandler = handler;
  }

  private onAnswerMsg(err: NatsError | null, msg: Msg): void {
    if (err !== null) return this.onError(err, 'bus answers');
    const answer = decodeAnswer(msg.data);
    if (answer === undefined) return;
    try {
      this.answerHandler(answer);
    } catch (e) {
      this.onError(e, 'bus answer handler');
    }
  }

  announce(kind: string, body: Record<string, unknown>): void {
    try {
      this.nc?.publish(EVENT_SUBJECT, encodeEvent(kind, this.nodeId, body));
    } catch (err) {
      this.onError(err, 'bus announce');
    }
  }

  private onEventMsg(err: NatsError | null, msg: Msg): void {
    if (err !== null) return this.onError(err, 'bus events');
    const event = decodeEvent(msg.data);
    if (event === undefined || event.from === this.nodeId) return;
    for (const handler of this.eventHandlers) {
      try {
        handler(event);
      } catch (e) {
        this.onError(e, `bus event ${event.kind}`);
      }
    }
  }

  onEvent(handler: (event: BusEvent) => void): void {
    this.eventHandlers.push(handler);
  }

  async claim(clientId: string): Promise<boolean> {
    const nc = this.nc;
    if (nc === undefined || !this.connected) return false;
    try {
      await nc.request(claimSubject(clientId), EMPTY, { timeout: CLAIM_TIMEOUT_MS });
      return true;
    } catch {
      // No responders (nobody holds it), or the holder did not answer in time: the store has the rest.
      return false;
    }
  }

  hold(clientId: string, held: boolean): void {
    if (held) {
      if (this.holds.has(clientId)) return;
      this.holds.set(clientId, this.nc === undefined ? undefined : this.holdSub(this.nc, clientId));
      return;
    }
    this.holds.get(clientId)?.unsubscribe();
    this.holds.delete(clientId);
  }

  private holdSub(nc: NatsConnection, clientId: string): Subscription {
    return nc.subscribe(claimSubject(clientId), {
      callback: (err, msg) => {
        if (err !== null) return this.onError(err, 'bus claims');
        this.claimHandler(clientId).then(() => msg.respond(EMPTY), (e: unknown) => this.onError(e, 'bus claim'));
      },
    });
  }

  onClaim(handler: (clientId: string) => Promise<void>): void {
    this.claimHandler = handler;
  }

  async close(): Promise<void> {
    this.closed = true;
    const nc = this.nc;
    this.nc = undefined;
    this.setConnected(false);
    if (nc !== undefined) await nc.drain().catch(() => nc.close());
  }
}
