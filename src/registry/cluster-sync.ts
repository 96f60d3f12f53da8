/**
 * @module registry/cluster-sync
 * The registries of a cluster's nodes kept in step. Each node serves its hot-path checks (certificate
 * status, policies, CAs, access keys) from memory; a write through any node's control plane, once
 * durable in the shared Store, is announced on the bus (`registry` event), and every other node
 * reloads from the Store and applies the change to its live connections as its own writes do
 * (transports/revocations.ts): a certificate revoked or a policy detached anywhere cuts connections
 * everywhere within a second. Reloads coalesce: one runs at a time, and changes announced meanwhile
 * cost one more.
 */
import type { Bus } from '../bus/bus.js';
import type { Registries } from './registries.js';

export const REGISTRY_EVENT = 'registry';

export interface RegistrySync {
  /** A registry write here is durable: tell the other nodes. */
  changed(what: string): void;
}

export function syncRegistries(regs: Registries, bus: Bus, onError: (err: unknown, context: string) => void): RegistrySync {
  if (!bus.clustered) return { changed: () => undefined };
  let running = false;
  let again = false;
  const reload = async (): Promise<void> => {
    await regs.registry.refresh();
    await regs.caRegistry.refresh();
    for (const accessKeyId of await regs.keys.refresh()) regs.accessKeys.deletedElsewhere(accessKeyId);
  };
  const refresh = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    reload().catch((err: unknown) => onError(err, 'registry refresh')).finally(() => {
      running = false;
      if (again) refresh();
    });
  };
  bus.onEvent((event) => {
    if (event.kind === REGISTRY_EVENT) refresh();
  });
  // NATS was away: changes may have been missed.
  bus.onConnectedChange((connected) => {
    if (connected) refresh();
  });
  return { changed: (what) => bus.announce(REGISTRY_EVENT, { what }) };
}
