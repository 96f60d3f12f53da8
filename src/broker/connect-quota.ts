/**
 * @module broker/connect-quota
 * The per-client-id CONNECT quota (AWS: 1 per second per client id, reference §4): how many times each
 * client id connected in the current second. One second's counts at a time, so the map never holds
 * more than the ids of the last second.
 */
import type { Clock } from './clock.js';

export class ConnectQuota {
  private readonly counts = new Map<string, number>();
  private second = 0;

  constructor(private readonly clock: Clock) {}

  /** False when `clientId` has connected `perSecond` times in the current second already. */
  admit(clientId: string, perSecond: number): boolean {
    const second = Math.floor(this.clock.now() / 1000);
    if (second !== this.second) {
      this.second = second;
      this.counts.clear();
    }
    const count = (this.counts.get(clientId) ?? 0) + 1;
    this.counts.set(clientId, count);
    return count <= perSecond;
  }
}
