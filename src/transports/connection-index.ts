/**
 * @module transports/connection-index
 * Live connections by certificate id, so that a certificate that stops being ACTIVE loses its MQTT
 * connections and HTTPS keep-alive connections at once, not at their next request.
 */
/** Why live connections are being closed; MQTT 5 clients are told with a DISCONNECT reason code. */
export type CloseReason = 'certificate-inactive' | 'access-key-deleted' | 'shutdown';

export type Closer = (reason: CloseReason) => void;

export class ConnectionIndex {
  private readonly byCertificate = new Map<string, Set<Closer>>();

  /** Registers a connection's closer; returns the function that unregisters it. */
  add(certificateId: string, close: Closer): () => void {
    let set = this.byCertificate.get(certificateId);
    if (!set) {
      set = new Set();
      this.byCertificate.set(certificateId, set);
    }
    set.add(close);
    return () => {
      const current = this.byCertificate.get(certificateId);
      if (!current) return;
      current.delete(close);
      if (current.size === 0) this.byCertificate.delete(certificateId);
    };
  }

  /** Closes every live connection of the certificate. */
  closeAll(certificateId: string, reason: CloseReason): number {
    const set = this.byCertificate.get(certificateId);
    if (!set) return 0;
    this.byCertificate.delete(certificateId);
    for (const close of set) close(reason);
    return set.size;
  }

  /** Closes every connection (shutdown). */
  closeEverything(reason: CloseReason): void {
    for (const id of [...this.byCertificate.keys()]) this.closeAll(id, reason);
  }
}
