/**
 * The connection's events waiting for the application, first in first out.
 *
 * `Array.prototype.shift` lets V8 trim the array's storage, so the next `push` allocates it
 * again: once per event, which is several times per transfer with pull reads. Here a head index
 * walks the array and the slots are reused once it is empty, so the storage only ever grows to
 * the largest backlog seen.
 */
export class EventQueue<T> {
  private readonly slots: (T | undefined)[] = [];
  private head = 0;
  private tail = 0;

  get length(): number {
    return this.tail - this.head;
  }

  push(item: T): void {
    if (this.tail < this.slots.length) this.slots[this.tail] = item;
    else this.slots.push(item);
    this.tail++;
  }

  /** The oldest item, removed; undefined when empty. */
  shift(): T | undefined {
    if (this.head === this.tail) return undefined;
    const item = this.slots[this.head];
    // Drop the reference so a delivered event can be collected while its slot waits for reuse.
    this.slots[this.head] = undefined;
    this.head++;
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
    }
    return item;
  }
}
