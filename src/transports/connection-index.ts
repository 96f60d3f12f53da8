/**
 * @module transports/connection-index
 * Live connections by principal, so that a certificate that stops being ACTIVE loses its MQTT
 * connections and HTTPS keep-alive connections at once, not at their next request, and so that a
 * policy change can close the MQTT connections whose iot:Connect no longer holds.
 */
/** Why live connections are being closed; MQTT 5 clients are told with a DISCONNECT reason code. */
export type CloseReason = 'certificate-inactive' | 'access-key-deleted' | 'not-authorized' | 'shutdown';

export type Closer = (reason: CloseReason) => void;

interface Entry {
  readonly close: Closer;
  /** Whether the connection may go on under the registry as it is now; absent: always. */
  readonly stillAuthorized: (() => boolean) | undefined;
}

export class ConnectionIndex {
  private readonly byPrincipal = new Map<string, Set<Entry>>();
  private sweepScheduled = false;

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
   * Asks every live connection, soon, whether it may go on, and closes those that may not. Several
   * registry changes in one turn (a script attaching and detaching) cost one sweep.
   */
  scheduleSweep(): void {
    if (this.sweepScheduled) return;
    this.sweepScheduled = true;
    setImmediate(() => {
      this.sweepScheduled = false;
      for (const set of [...this.byPrincipal.values()]) {
        for (const entry of [...set]) {
          if (entry.stillAuthorized && !entry.stillAuthorized()) entry.close('not-authorized');
        }
      }
    });
  }

  /** Closes every connection (shutdown). */
  closeEverything(reason: CloseReason): void {
    for (const key of [...this.byPrincipal.keys()]) this.closeAll(key, reason);
  }
}
