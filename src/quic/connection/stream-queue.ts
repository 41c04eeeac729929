/**
 * The streams with something to send, in round-robin order (RFC 9000 §2.3 leaves the
 * scheduling to the implementation; we serve them in turn).
 *
 * The order lives in an array whose length only grows (a count marks its end), and membership in
 * a Map from stream id to a flag. A stream leaving the queue keeps its Map entry with the flag
 * down; the entry goes only when the stream itself is forgotten. A Set that lost and regained a
 * stream each time its send buffer ran dry reallocated its hash table both ways (V8 shrinks a
 * table on `delete` once it is less than half full), several times per transfer.
 *
 * The send path reads a snapshot array instead of walking the order, because the walk reorders
 * the queue. The snapshot is rebuilt only after the queue changed, so a single busy stream costs
 * nothing per packet; it stays as it was until the next call.
 */
export class StreamQueue {
  private readonly queued = new Map<number, boolean>();
  private readonly order: number[] = [];
  private count = 0;
  private readonly list: number[] = [];
  private listLength = 0;
  private stale = false;

  get size(): number {
    return this.count;
  }

  has(id: number): boolean {
    return this.queued.get(id) === true;
  }

  /** Queues `id` at the back unless it is queued already (its place is then kept). */
  add(id: number): void {
    if (this.queued.get(id) === true) return;
    this.queued.set(id, true);
    if (this.count < this.order.length) this.order[this.count] = id;
    else this.order.push(id);
    this.count++;
    this.stale = true;
  }

  /** Takes `id` out of the queue; it may come back (its send side has nothing to send now). */
  delete(id: number): void {
    if (this.queued.get(id) !== true) return;
    this.queued.set(id, false);
    this.removeAt(this.indexOf(id));
  }

  /** Takes `id` out for good: the stream is closed and forgotten. */
  forget(id: number): void {
    this.delete(id);
    this.queued.delete(id);
  }

  /** Moves a queued `id` behind the others (it was just served). */
  moveToBack(id: number): void {
    if (this.count < 2 || this.queued.get(id) !== true) return;
    const i = this.indexOf(id);
    if (i === this.count - 1) return;
    this.removeAt(i);
    this.order[this.count++] = id;
  }

  /**
   * The queue in order: its first `snapshotLength` entries (the array keeps its largest length,
   * because emptying it by `pop` still let V8 trim the storage that the next rebuild grew again).
   * Valid until the next snapshot() after a change. Do not modify it.
   */
  snapshot(): readonly number[] {
    if (this.stale) {
      const list = this.list;
      for (let i = 0; i < this.count; i++) {
        if (i < list.length) list[i] = this.order[i]!;
        else list.push(this.order[i]!);
      }
      this.listLength = this.count;
      this.stale = false;
    }
    return this.list;
  }

  /** How many entries of the latest snapshot() are the queue. */
  get snapshotLength(): number {
    return this.listLength;
  }

  private indexOf(id: number): number {
    for (let i = 0; i < this.count; i++) if (this.order[i] === id) return i;
    return -1;
  }

  /** Closes the gap at `i` (a queued member's index) keeping the others' order. */
  private removeAt(i: number): void {
    if (i < 0) return;
    for (let j = i + 1; j < this.count; j++) this.order[j - 1] = this.order[j]!;
    this.count--;
    this.stale = true;
  }
}
