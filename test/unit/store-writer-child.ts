/**
 * @module test/unit/store-writer-child
 * A process that writes to a store until it is killed, for the contract's SIGKILL case
 * (store-contract-durability.ts): it enqueues numbered messages to the session `writer` and prints
 * `w N` when the write of message N settled and `t N` when an afterDurable task queued after message N
 * ran with durable = true. Stdout to a pipe is synchronous on Linux, so a line printed is a line the
 * parent can read even after SIGKILL. Usage: node store-writer-child.js LOCATION
 */
import { openStoreAt } from '../helpers/open-store.js';

const location = process.argv[2];
if (location === undefined) throw new Error('usage: store-writer-child.js LOCATION');
const store = await openStoreAt(location);
await store.sessions.put({ clientId: 'writer', expirySeconds: 3600, disconnectedAt: null, owner: null });
process.stdout.write('ready\n');

const report = (seq: number, durable: boolean): void => {
  if (durable) process.stdout.write(`t ${seq}\n`);
};
let seq = 0;
for (let turn = 0; ; turn++) {
  let last: Promise<void> = Promise.resolve();
  for (let i = 0; i < 20; i++) {
    const n = ++seq;
    last = store.sessions.enqueue('writer', { seq: n, topic: `kill/${n}`, payload: Buffer.from(`message ${n}`), qos: 1, properties: null, expiresAt: null })
      .then(() => { process.stdout.write(`w ${n}\n`); });
  }
  store.afterDurable(report, seq);
  // Now and then wait for the writes, so that the backlog stays bounded.
  if (turn % 4 === 3) await last;
  else await new Promise((resolve) => setImmediate(resolve));
}
