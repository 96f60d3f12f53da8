/**
 * @module turn
 * Work deferred to the end of the current event-loop turn (the check phase, after every I/O callback
 * of the turn has run), in two ordered phases: `durable` (the store commits the writes the turn made)
 * and then `network` (sockets flush the bytes the turn wrote). The order is the promise topicd makes:
 * a PUBACK or an HTTP 200 never leaves before the message it acknowledges is committed, yet a turn's
 * hundreds of writes and replies cost one commit and one syscall per socket. One setImmediate serves
 * every task of a turn; tasks are (function, argument) pairs so the hot path allocates no closure.
 */
type Task = (arg: never) => void;

const durable: unknown[] = [];
const network: unknown[] = [];
let scheduled = false;

function drain(queue: unknown[]): void {
  // Tasks queued while draining run in the next turn, so a task that re-queues itself cannot starve I/O.
  const tasks = queue.splice(0, queue.length);
  for (let i = 0; i < tasks.length; i += 2) {
    try {
      (tasks[i] as (arg: unknown) => void)(tasks[i + 1]);
    } catch (err) {
      // One failed task (a commit on a full disk) must not leave every socket corked.
      process.emitWarning(err instanceof Error ? err : new Error(String(err)), 'TopicdTurnTaskFailed');
    }
  }
}

function runTurnEnd(): void {
  scheduled = false;
  drain(durable);
  drain(network);
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(runTurnEnd);
}

/** Runs `task(arg)` at the end of this turn, before any `atTurnEnd` network task. */
export function durableAtTurnEnd<T>(task: (arg: T) => void, arg: T): void {
  durable.push(task as Task, arg);
  schedule();
}

/** Runs `task(arg)` at the end of this turn, after the turn's durable tasks. */
export function atTurnEnd<T>(task: (arg: T) => void, arg: T): void {
  network.push(task as Task, arg);
  schedule();
}
