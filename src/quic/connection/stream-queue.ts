/**
 * The streams with something to send, in round-robin order (RFC 9000 §2.3 leaves the
 * scheduling to the implementation; we serve them in turn).
 *
 * A Set keeps membership and order; the send path reads a snapshot array instead of iterating
 * the Set, because a Set iterator is an allocation per packet. The snapshot is rebuilt only
 * after the queue changed, so a single busy stream costs nothing per packet. Changing the
 * queue while walking a snapshot is safe: the snapshot stays as it was until the next call.
 */
import { clearArray } from '../clear-array.js';

export class StreamQueue {
  private readonly set = new Set<number>();
  private readonly list: number[] = [];
  private stale = false;

  get size(): number {
    return this.set.size;
  }

  has(id: number): boolean {
    return this.set.has(id);
  }

  /** Queues `id` at the back unless it is queued already (its place is then kept). */
  add(id: number): void {
    if (this.set.has(id)) return;
    this.set.add(id);
    this.stale = true;
  }

  delete(id: number): void {
    if (this.set.delete(id)) this.stale = true;
  }

  /** Moves a queued `id` behind the others (it was just served). */
  moveToBack(id: number): void {
    if (this.set.size < 2 || !this.set.delete(id)) return;
    this.set.add(id);
    this.stale = true;
  }

  /** The queue in order; valid until the next snapshot() after a change. Do not modify it. */
  snapshot(): readonly number[] {
    if (this.stale) {
      const list = this.list;
      clearArray(list);
      for (const id of this.set) list.push(id);
      this.stale = false;
    }
    return this.list;
  }
}
