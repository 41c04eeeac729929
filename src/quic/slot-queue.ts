/**
 * A first-in first-out list with indexed access whose storage only grows (issue 3: the hot path
 * allocates nothing per packet).
 *
 * A plain array used as a queue (`push` at the back, `shift` at the front) loses a slot of
 * capacity at every `shift`: V8 moves the array's start forward in place ("left-trimming"), so
 * a queue that holds about the same number of entries while they flow through it runs out of
 * room every few dozen operations and `push` allocates a larger backing store, and `pop`
 * lets it trim storage left less than half used. Here a head index walks the array; when the tail reaches its end the live entries move
 * back to the front, so the array grows only to the largest number of entries held at once.
 * The connection's event queue, the send buffer's chunks and their spare records use it.
 */
export class SlotQueue<T> {
  private readonly slots: (T | undefined)[] = [];
  private head = 0;
  private tail = 0;

  get length(): number {
    return this.tail - this.head;
  }

  /** Entry `i` from the front (0 is the oldest); undefined outside [0, length). */
  at(i: number): T | undefined {
    return i >= 0 && i < this.tail - this.head ? this.slots[this.head + i] : undefined;
  }

  /** The newest entry, or undefined when empty. */
  last(): T | undefined {
    return this.tail > this.head ? this.slots[this.tail - 1] : undefined;
  }

  push(item: T): void {
    const slots = this.slots;
    if (this.tail === slots.length && this.head > 0) {
      // Move the live entries to the front rather than grow: indexed copies, no new array.
      const n = this.tail - this.head;
      for (let i = 0; i < n; i++) slots[i] = slots[this.head + i];
      for (let i = n; i < this.tail; i++) slots[i] = undefined;
      this.head = 0;
      this.tail = n;
    }
    if (this.tail < slots.length) slots[this.tail] = item;
    else slots.push(item);
    this.tail++;
  }

  /** The oldest entry, removed; undefined when empty. */
  shift(): T | undefined {
    if (this.head === this.tail) return undefined;
    const item = this.slots[this.head];
    // Drop the reference so the entry can be collected while its slot waits for reuse.
    this.slots[this.head] = undefined;
    this.head++;
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
    }
    return item;
  }

  /** The newest entry, removed; undefined when empty. */
  pop(): T | undefined {
    if (this.head === this.tail) return undefined;
    this.tail--;
    const item = this.slots[this.tail];
    this.slots[this.tail] = undefined;
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
    }
    return item;
  }
}
