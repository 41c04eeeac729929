/**
 * A bounded stack of recycled objects whose storage never shrinks.
 *
 * Popping an array lets V8 trim its storage once it is less than half used, and the next pushes
 * grow it again: a pool that an ACK fills and the following packets drain would allocate its
 * storage anew every cycle. Here a count marks the top and the array's length only grows, up to
 * `max` entries; items beyond are left to the collector. The sent-record pools
 * (connection/sent-records.ts) and the reassembly buffer's spare blocks use it.
 */
export class FreeList<T> {
  private readonly slots: (T | undefined)[] = [];
  private count = 0;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.count;
  }

  /** The most recently released item, or undefined when none is free. */
  take(): T | undefined {
    if (this.count === 0) return undefined;
    const i = --this.count;
    const item = this.slots[i];
    this.slots[i] = undefined;
    return item;
  }

  /** Drops every kept item (the array keeps its length, so later gives allocate nothing). */
  clear(): void {
    while (this.count > 0) this.slots[--this.count] = undefined;
  }

  /** Keeps `item` for reuse unless the list is full. */
  give(item: T): void {
    if (this.count >= this.max) return;
    if (this.count < this.slots.length) this.slots[this.count] = item;
    else this.slots.push(item);
    this.count++;
  }
}
