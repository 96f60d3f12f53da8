/**
 * @module transports/connection-index
 * Live connections by principal, so that a certificate that stops being ACTIVE loses its MQTT
 * connections and HTTPS keep-alive connections at once, not at their next request, and so that a
 * policy change can close the MQTT connections whose iot:Connect no longer holds.
 */
/** Why live connections are being closed; MQTT 5 clients are told with a DISCONNECT reason code. */
export type CloseReason = 'certificate-inactive' | 'access-key-deleted' | 'not-authorized' | 'shutdown';

export type Closer = (reason: CloseReason) => void;

/** The least time between two sweeps of every live connection after registry changes. */
const SWEEP_INTERVAL_MS = 200;

interface Entry {
  readonly close: Closer;
  /** Whether the connection may go on under the registry as it is now; absent: always. */
  readonly stillAuthorized: (() => boolean) | undefined;
}

export class ConnectionIndex {
  private readonly byPrincipal = new Map<string, Set<Entry>>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private lastSweep = 0;

  /** Registers a connection's closer; returns the function that unregisters it. */
  add(principalKey: string, close: Closer, stillAuthorized?: () => boolean): () => void {
    let set = this.byPrincipal.get(principalKey);
    if (!set) {
      set = new Set();
      this.byPrincipal.set(principalKey, set);
    }
    const entry: Entry = { close, stillAuthorized };
    set.add(entry);
    return () => {
      const current = this.byPrincipal.get(principalKey);
      if (!current) return;
      current.delete(entry);
      if (current.size === 0) this.byPrincipal.delete(principalKey);
    };
  }

  /** Closes every live connection of the principal. */
  closeAll(principalKey: string, reason: CloseReason): number {
    const set = this.byPrincipal.get(principalKey);
    if (!set) return 0;
    this.byPrincipal.delete(principalKey);
    for (const entry of set) entry.close(reason);
    return set.size;
  }

  /**
   * Asks every live connection, soon, whether it may go on, and closes those that may not. Changes
   * coalesce: a sweep runs at most every SWEEP_INTERVAL_MS, so a script making a thousand things
   * costs a few sweeps, not a thousand, and every change still reaches live connections within a
   * second.
   */
  scheduleSweep(): void {
    if (this.sweepTimer !== undefined) return;
    const wait = Math.max(0, this.lastSweep + SWEEP_INTERVAL_MS - Date.now());
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = undefined;
      this.lastSweep = Date.now();
      for (const set of [...this.byPrincipal.values()]) {
        for (const entry of [...set]) {
          if (entry.stillAuthorized && !entry.stillAuthorized()) entry.close('not-authorized');
        }
      }
    }, wait);
    this.sweepTimer.unref();
  }

  /** Closes every connection (shutdown). */
  closeEverything(reason: CloseReason): void {
    if (this.sweepTimer !== undefined) clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const key of [...this.byPrincipal.keys()]) this.closeAll(key, reason);
  }
}
