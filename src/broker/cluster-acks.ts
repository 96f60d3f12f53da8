/**
 * @module broker/cluster-acks
 * Issue 12: in a cluster, QoS 1 is acknowledged to the publisher only when every persistent
 * subscriber's copy is durable, on whichever node it lives. A message forwarded while another node
 * holds a matching durable interest (broker/durable-interest.ts) asks for an acknowledgement (an id
 * in its envelope); the receiving node routes it and, once its own store has made the copies durable
 * (its Durability), answers: one bus message per origin node per turn, carrying the ids.
 *
 * On the publishing node this is the Durability the doors get: a turn's acknowledgements (PUBACKs,
 * HTTP 200s, flushed by `afterDurable` tasks) wait for the local commit AND every answer asked for
 * in that turn, in turn order. An answer that does not come within the timeout (a stopped or lost
 * node, NATS away) fails the turn: its tasks get `durable` false, and the doors cut the connection
 * instead of acknowledging. A node that let an ask time out is asked for its declarations again; one
 * that stays silent for another timeout is taken as gone and no longer waited for.
 *
 * The embedded single node never builds this: main.ts hands the doors the store itself.
 */
import type { AckAnswer, Bus } from '../bus/bus.js';
import type { Message } from '../protocol/codec.js';
import type { Durability } from '../store/store.js';
import type { DurableInterest } from './durable-interest.js';

/** How long a publisher's acknowledgement waits for the other nodes' answers by default. */
export const DEFAULT_ACK_TIMEOUT_MS = 5000;

type Task = (arg: unknown, durable: boolean) => void;

/** The acknowledgements of one event-loop turn. */
class Turn {
  /** task, arg, task, arg... */
  readonly tasks: unknown[] = [];
  /** Store afterDurable calls not yet back. */
  local = 0;
  /** Asks not yet answered by every key. */
  asks = 0;
  readonly ids: number[] = [];
  ok = true;
  /** The turn has ended: nothing more joins it. */
  sealed = false;
  timer: NodeJS.Timeout | undefined;
}

interface Asked {
  readonly turn: Turn;
  /** The node ids and shares still to answer. */
  readonly keys: Set<string>;
}

/** Answers of one turn on a receiving node, by origin instance. */
interface Outgoing {
  readonly byOrigin: Map<string, { ids: number[]; keys: string[] }>;
  waiting: number;
  ok: boolean;
}

export class ClusterAcks implements Durability {
  private nextId = 0;
  private readonly asked = new Map<number, Asked>();
  private readonly turns: Turn[] = [];
  private current: Turn | undefined;
  private outgoing: Outgoing | undefined;
  /** Nodes that let an ask time out: dropped when they stay silent until the timer fires. */
  private readonly suspects = new Map<string, NodeJS.Timeout>();

  constructor(private readonly bus: Bus, private readonly store: Durability, readonly interest: DurableInterest, private readonly timeoutMs: number) {
    bus.onAnswer((answer) => this.answered(answer));
    interest.onHeard = (node) => this.heard(node);
  }

  /** The acknowledgement id to forward a QoS 1 or 2 message with; 0 when no other node holds a matching durable interest. */
  ask(message: Message): number {
    if (this.interest.empty) return 0;
    const keys = this.interest.match(message.topic);
    if (keys.length === 0) return 0;
    const id = ++this.nextId;
    const turn = this.turn();
    turn.asks++;
    turn.ids.push(id);
    this.asked.set(id, { turn, keys: new Set(keys) });
    return id;
  }

  /** A message that asked for an acknowledgement was routed here: answered once this node's writes so far are durable. */
  received(origin: string, id: number, key: string): void {
    let out = this.outgoing;
    if (out === undefined) this.outgoing = out = { byOrigin: new Map(), waiting: 0, ok: true };
    let answer = out.byOrigin.get(origin);
    if (answer === undefined) out.byOrigin.set(origin, answer = { ids: [], keys: [] });
    answer.ids.push(id);
    answer.keys.push(key);
    out.waiting++;
    this.store.afterDurable(this.answersDurable, out);
  }

  private readonly answersDurable = (out: Outgoing, durable: boolean): void => {
    if (this.outgoing === out) this.outgoing = undefined;
    if (!durable) out.ok = false;
    if (--out.waiting > 0) return;
    // Not durable: no answer, and the publisher's acknowledgement is refused at its timeout.
    if (out.ok) for (const [origin, answer] of out.byOrigin) this.bus.answer(origin, answer);
  };

  afterDurable<T>(task: (arg: T, durable: boolean) => void, arg: T): void {
    const turn = this.turn();
    turn.tasks.push(task, arg);
    turn.local++;
    this.store.afterDurable(this.localDone, turn);
  }

  private readonly localDone = (turn: Turn, durable: boolean): void => {
    turn.local--;
    if (!durable) turn.ok = false;
    this.drain();
  };

  private turn(): Turn {
    if (this.current === undefined) {
      this.current = new Turn();
      this.turns.push(this.current);
      setImmediate(this.seal);
    }
    return this.current;
  }

  private readonly seal = (): void => {
    const turn = this.current;
    this.current = undefined;
    if (turn === undefined) return;
    turn.sealed = true;
    if (turn.asks > 0) turn.timer = setTimeout(this.expire, this.timeoutMs, turn);
    this.drain();
  };

  private readonly expire = (turn: Turn): void => {
    turn.timer = undefined;
    for (const id of turn.ids) {
      const asked = this.asked.get(id);
      if (asked === undefined) continue;
      this.asked.delete(id);
      for (const key of asked.keys) this.suspect(key);
    }
    turn.asks = 0;
    turn.ok = false;
    this.drain();
  };

  private answered(answer: AckAnswer): void {
    for (let i = 0; i < answer.ids.length; i++) {
      const key = answer.keys[i]!;
      this.heard(key);
      const asked = this.asked.get(answer.ids[i]!);
      if (asked === undefined || !asked.keys.delete(key) || asked.keys.size > 0) continue;
      this.asked.delete(answer.ids[i]!);
      asked.turn.asks--;
    }
    this.drain();
  }

  /** Runs the tasks of the finished turns at the head, in turn order. */
  private drain(): void {
    const turns = this.turns;
    while (turns.length > 0) {
      const head = turns[0]!;
      if (!head.sealed || head.local > 0 || head.asks > 0) return;
      turns.shift();
      clearTimeout(head.timer);
      const tasks = head.tasks;
      for (let i = 0; i < tasks.length; i += 2) (tasks[i] as Task)(tasks[i + 1], head.ok);
    }
  }

  private suspect(key: string): void {
    if (key.startsWith('$share/') || this.suspects.has(key)) return;
    const timer = setTimeout(() => {
      this.suspects.delete(key);
      this.interest.drop(key);
    }, this.timeoutMs);
    timer.unref();
    this.suspects.set(key, timer);
    // A node that is only slow answers with its declarations, and stays waited for.
    this.interest.hello();
  }

  private heard(node: string): void {
    const timer = this.suspects.get(node);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.suspects.delete(node);
  }

  /** Shutdown: nothing waits any more. */
  close(): void {
    for (const timer of this.suspects.values()) clearTimeout(timer);
    this.suspects.clear();
    this.interest.leave();
  }
}
