/** The bus contract on NatsBus, against a real nats-server of the test's own. */
import assert from 'node:assert/strict';
import { NatsBus } from '../../src/bus/nats-bus.js';
import { startNats } from '../helpers/nats-server.js';
import { busContract } from './bus-contract.js';

busContract('NatsBus', async (n) => {
  const nats = await startNats();
  const buses = Array.from({ length: n }, (_, i) => new NatsBus({ url: nats.url, nodeId: `node-${i}`, onError: (err) => { throw err; } }));
  for (const bus of buses) assert.equal(await bus.ready(5000), true);
  return {
    buses,
    done: async () => {
      for (const b of buses) await b.close();
      await nats.stop();
    },
  };
});
