/** The bus contract on LocalBus instances sharing one in-process hub. */
import { LocalBus, LocalHub } from '../../src/bus/local-bus.js';
import { busContract } from './bus-contract.js';

busContract('LocalBus', async (n) => {
  const hub = new LocalHub();
  const buses = Array.from({ length: n }, (_, i) => new LocalBus(`node-${i}`, hub));
  return { buses, done: async () => { for (const b of buses) await b.close(); } };
});
