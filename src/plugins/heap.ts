/**
 * The allocator behind `my_malloc`, `my_free` and `my_realloc` (reference/pquic.md §4.5): one
 * heap per plugin per connection, inside that plugin's own VM memory.
 *
 * Unlike PQUIC's allocators, the bookkeeping lives on the host side, out of the plugin's reach:
 * a plugin that writes past its block can corrupt only its own data, never the allocator, and a
 * double or foreign free is reported instead of corrupting the free list. First fit over an
 * address-ordered free list with coalescing; blocks are 16-byte aligned; there is no per-block
 * size limit (PQUIC's default pool stopped at 2092 bytes).
 */

const ALIGN = 16;

export class HeapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HeapError';
  }
}

export class PluginHeap {
  readonly start: number;
  readonly size: number;
  /** Free blocks as [start, size], sorted by start, never adjacent (coalesced). */
  private free: [number, number][];
  /** Live blocks: start → size (rounded). */
  private readonly live = new Map<number, number>();
  /**
   * Live blocks the host lent the plugin for one call (the bytes granted to a pluglet). Only the
   * host frees them: a plugin's my_free or my_realloc of one is a plugin error, not a block that
   * disappears under the host, which releases it after the call.
   */
  private readonly hostOwned = new Set<number>();
  private used = 0;

  constructor(start: number, size: number) {
    if (start % ALIGN !== 0) throw new HeapError(`heap start ${start} is not ${ALIGN}-byte aligned`);
    if (start === 0) throw new HeapError('a heap at address 0 would hand out NULL');
    this.start = start;
    this.size = size - (size % ALIGN);
    this.free = this.size > 0 ? [[start, this.size]] : [];
  }

  /** Bytes in live blocks. */
  get bytesUsed(): number {
    return this.used;
  }

  get blocks(): number {
    return this.live.size;
  }

  /** Returns the address of a block of at least `n` bytes, or 0 when there is no room (NULL). */
  malloc(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0 || n > this.size) return 0;
    const need = Math.ceil(n / ALIGN) * ALIGN;
    for (let i = 0; i < this.free.length; i++) {
      const f = this.free[i]!;
      if (f[1] < need) continue;
      const addr = f[0];
      if (f[1] === need) this.free.splice(i, 1);
      else {
        f[0] += need;
        f[1] -= need;
      }
      this.live.set(addr, need);
      this.used += need;
      return addr;
    }
    return 0;
  }

  /** A block for the host to lend the plugin during one call; freed with `freeHostBlock`. */
  mallocHost(n: number): number {
    const addr = this.malloc(n);
    if (addr !== 0) this.hostOwned.add(addr);
    return addr;
  }

  /** Frees a block `mallocHost` returned. */
  freeHostBlock(addr: number): void {
    if (!this.hostOwned.delete(addr)) throw new HeapError(`0x${addr.toString(16)} is not a block the host lent`);
    this.freeBlock(addr, true);
  }

  /**
   * Frees a block; NULL is a no-op. Throws HeapError for an address that is not a live block, or
   * that the host lent for the current call (unless `byHost`).
   */
  freeBlock(addr: number, byHost = false): void {
    if (addr === 0) return;
    if (!byHost && this.hostOwned.has(addr)) throw new HeapError(`my_free(0x${addr.toString(16)}): a buffer the host granted for this call (the host releases it)`);
    const size = this.live.get(addr);
    if (size === undefined) throw new HeapError(`my_free(0x${addr.toString(16)}): not a block allocated by my_malloc (double free?)`);
    this.live.delete(addr);
    this.used -= size;
    this.insertFree(addr, size);
  }

  /**
   * my_realloc: NULL behaves as malloc, size 0 as free (returns 0). Grows in place when the next
   * block is free; otherwise moves the data with `move(from, to, bytes)`. Returns 0 on failure,
   * leaving the old block untouched.
   */
  realloc(addr: number, n: number, move: (from: number, to: number, bytes: number) => void): number {
    if (addr === 0) return this.malloc(n);
    if (this.hostOwned.has(addr)) throw new HeapError(`my_realloc(0x${addr.toString(16)}): a buffer the host granted for this call (the host releases it)`);
    const size = this.live.get(addr);
    if (size === undefined) throw new HeapError(`my_realloc(0x${addr.toString(16)}): not a block allocated by my_malloc`);
    if (n === 0) {
      this.freeBlock(addr);
      return 0;
    }
    if (!Number.isSafeInteger(n) || n < 0 || n > this.size) return 0;
    const need = Math.ceil(n / ALIGN) * ALIGN;
    if (need <= size) {
      if (need < size) {
        this.live.set(addr, need);
        this.used -= size - need;
        this.insertFree(addr + need, size - need);
      }
      return addr;
    }
    // Grow in place when the following free block is large enough.
    const i = this.free.findIndex((f) => f[0] === addr + size);
    if (i >= 0 && this.free[i]![1] >= need - size) {
      const f = this.free[i]!;
      const extra = need - size;
      if (f[1] === extra) this.free.splice(i, 1);
      else {
        f[0] += extra;
        f[1] -= extra;
      }
      this.live.set(addr, need);
      this.used += extra;
      return addr;
    }
    const to = this.malloc(n);
    if (to === 0) return 0;
    move(addr, to, size);
    this.freeBlock(addr);
    return to;
  }

  /** The live block containing [addr, addr+len), if any (for diagnostics). */
  blockOf(addr: number): { start: number; size: number } | undefined {
    for (const [start, size] of this.live) if (addr >= start && addr < start + size) return { start, size };
    return undefined;
  }

  private insertFree(addr: number, size: number): void {
    const list = this.free;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]![0] < addr) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, [addr, size]);
    // Coalesce with the next, then the previous block.
    const cur = list[lo]!;
    const next = list[lo + 1];
    if (next && cur[0] + cur[1] === next[0]) {
      cur[1] += next[1];
      list.splice(lo + 1, 1);
    }
    const prev = list[lo - 1];
    if (prev && prev[0] + prev[1] === cur[0]) {
      prev[1] += cur[1];
      list.splice(lo, 1);
    }
  }
}
