/**
 * The endpoint's sessions waiting for a flush (issue 3: the hot path allocates nothing per
 * packet).
 *
 * Every received datagram marks its session, and the flush after the batch walks the marked
 * ones. A `Set` copied into an array for the walk (`[...set]`) made the array and an iterator
 * at every flush, and `Set.clear` makes a new hash table: about 5 B per datagram on a real
 * socket (bench:alloc --udp). Here membership is a flag on the entry, and the entries sit in
 * two arrays that swap roles at each walk and never shrink (a count marks their end).
 */

/** An entry: `flushQueued` belongs to the list (true while the entry waits for a walk). */
export interface FlushListEntry {
  flushQueued: boolean;
}

export class FlushList<T extends FlushListEntry> {
  private pending: (T | undefined)[] = [];
  private pendingCount = 0;
  private walking: (T | undefined)[] = [];
  private walkingCount = 0;

  /** Whether no entry was added since the last `take` (removed ones may still count). */
  get isEmpty(): boolean {
    return this.pendingCount === 0;
  }

  /** Marks `entry`; an entry already waiting is not added twice. */
  add(entry: T): void {
    if (entry.flushQueued) return;
    entry.flushQueued = true;
    this.append(entry);
  }

  /** Unmarks `entry` (a closed session): a walk skips it. */
  remove(entry: T): void {
    entry.flushQueued = false;
  }

  /**
   * Starts a walk: the entries added so far move to the walk list, and later `add`s wait for
   * the next walk. Returns how many slots `entry` serves.
   */
  take(): number {
    // Entries of the last walk it did not reach (it stopped early) still wait: keep them.
    for (let i = 0; i < this.walkingCount; i++) {
      const e = this.walking[i];
      this.walking[i] = undefined;
      if (e !== undefined && e.flushQueued) this.append(e);
    }
    const list = this.walking;
    this.walking = this.pending;
    this.walkingCount = this.pendingCount;
    this.pending = list;
    this.pendingCount = 0;
    return this.walkingCount;
  }

  /**
   * The walk's entry `i`, unmarked so that it may be added again for the next walk (while it is
   * flushed, say), or undefined when it was removed since it was added.
   */
  entry(i: number): T | undefined {
    if (!(i >= 0 && i < this.walkingCount)) return undefined;
    const e = this.walking[i];
    // Let a closed session be collected while the slot waits for reuse.
    this.walking[i] = undefined;
    if (e === undefined || !e.flushQueued) return undefined;
    e.flushQueued = false;
    return e;
  }

  /** Unmarks and forgets every entry, waiting or in a walk (the endpoint shut down). */
  clear(): void {
    FlushList.unmarkAll(this.pending, this.pendingCount);
    FlushList.unmarkAll(this.walking, this.walkingCount);
    this.pendingCount = 0;
    this.walkingCount = 0;
  }

  private append(entry: T): void {
    if (this.pendingCount < this.pending.length) this.pending[this.pendingCount] = entry;
    else this.pending.push(entry);
    this.pendingCount++;
  }

  private static unmarkAll(list: (FlushListEntry | undefined)[], count: number): void {
    for (let i = 0; i < count; i++) {
      const e = list[i];
      if (e !== undefined) e.flushQueued = false;
      list[i] = undefined;
    }
  }
}
