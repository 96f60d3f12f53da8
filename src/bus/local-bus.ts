/**
 * @module bus/local-bus
 * The in-process Bus. Alone (the default hub of its own) it is the embedded single node's: not
 * clustered, so the broker never hands it anything. On a hub shared with other LocalBus instances
 * it behaves as NatsBus does between processes (interest, shares, events, claims), asynchronously,
 * which is what the bus contract suite runs it as. It is simple rather than fast: a cluster in
 * production runs on NatsBus.
 */
import { randomBytes } from 'node:crypto';
import { parseSharedFilter, topicMatches } from '../protocol/topics.js';
import type { Message } from '../protocol/codec.js';
import type { AckAnswer, Bus, BusEvent, MessageHandler } from './bus.js';

const MATCH = { hashMatchesParent: true };

/** The nodes of one process that hear each other. */
export class LocalHub {
  readonly buses = new Set<LocalBus>();
  /** Round-robin position per shared subscription. */
  readonly turns = new Map<string, number>();
}

export class LocalBus implements Bus {
  readonly connected = true;
  readonly clustered: boolean;
  /** filter -> count, and `$share/g/f` -> count. */
  private readonly plain = new Map<string, number>();
  private readonly shares = new Map<string, number>();
  private readonly held = new Set<string>();
  private messageHandler: MessageHandler = () => undefined;
  private readonly eventHandlers: Array<(event: BusEvent) => void> = [];
  private claimHandler: (clientId: string) => Promise<void> = async () => undefined;
  private answerHandler: (answer: AckAnswer) => void = () => undefined;

  private readonly hub: LocalHub;
  readonly instance: string;

  /** Without a hub: the single node's bus, which hears nobody. */
  constructor(readonly nodeId: string, hub?: LocalHub) {
    this.clustered = hub !== undefined;
    this.instance = `${nodeId}/${randomBytes(4).toString('hex')}`;
    this.hub = hub ?? new LocalHub();
    this.hub.buses.add(this);
  }

  onConnectedChange(): void {
    // Never changes.
  }

  forward(message: Message, ackId = 0): void {
    const others = [...this.hub.buses];
    const ask = ackId === 0 ? undefined : { origin: this.instance, id: ackId };
    queueMicrotask(() => {
      for (const bus of others) {
        if (bus !== this && (message.retain || bus.servesPlain(message.topic))) bus.messageHandler(message, undefined, ask);
      }
      const shares = new Set<string>();
      for (const bus of others) for (const share of bus.shares.keys()) shares.add(share);
      for (const share of shares) {
        const filter = parseSharedFilter(share)?.filter;
        if (filter === undefined || !topicMatches(filter, message.topic, MATCH)) continue;
        const members = others.filter((b) => b.shares.has(share));
        const turn = this.hub.turns.get(share) ?? 0;
        this.hub.turns.set(share, turn + 1);
        members[turn % members.length]!.messageHandler(message, share, ask);
      }
    });
  }

  interest(filter: string, on: boolean, share?: string): void {
    count(share === undefined ? this.plain : this.shares, share ?? filter, on);
  }

  onMessage(handler: MessageHandler): void {
    this.messageHandler = handler;
  }

  answer(instance: string, answer: AckAnswer): void {
    const to = [...this.hub.buses].find((b) => b.instance === instance);
    const copy = { ids: [...answer.ids], keys: [...answer.keys] };
    if (to !== undefined) queueMicrotask(() => to.answerHandler(copy));
  }

  onAnswer(handler: (answer: AckAnswer) => void): void {
    this.answerHandler = handler;
  }

  announce(kind: string, body: Record<string, unknown>): void {
    const event: BusEvent = { kind, from: this.nodeId, body: structuredClone(body) };
    queueMicrotask(() => {
      for (const bus of this.hub.buses) if (bus !== this) for (const handler of bus.eventHandlers) handler(event);
    });
  }

  onEvent(handler: (event: BusEvent) => void): void {
    this.eventHandlers.push(handler);
  }

  async claim(clientId: string): Promise<boolean> {
    const holder = [...this.hub.buses].find((b) => b !== this && b.held.has(clientId));
    if (holder === undefined) return false;
    await holder.claimHandler(clientId);
    return true;
  }

  hold(clientId: string, held: boolean): void {
    if (held) this.held.add(clientId);
    else this.held.delete(clientId);
  }

  onClaim(handler: (clientId: string) => Promise<void>): void {
    this.claimHandler = handler;
  }

  async close(): Promise<void> {
    this.hub.buses.delete(this);
  }

  private servesPlain(topic: string): boolean {
    for (const filter of this.plain.keys()) if (topicMatches(filter, topic, MATCH)) return true;
    return false;
  }
}

function count(map: Map<string, number>, key: string, on: boolean): void {
  const n = (map.get(key) ?? 0) + (on ? 1 : -1);
  if (n > 0) map.set(key, n);
  else map.delete(key);
}
