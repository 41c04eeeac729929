/**
 * The allocator behind `my_malloc`, `my_free` and `my_realloc` (reference/pquic.md §4.5): one
 * heap per plugin per connection, inside that plugin's own VM memory.
 *
 * Unlike PQUIC's allocators, the bookkeeping lives on the host side, out of the plugin's reach:
 * a plugin that writes past its block can corrupt only its own data, never the allocator, and a
 * double or foreign free is reported instead of corrupting the free list. Blocks are 16-byte
 * aligned; there is no per-block size limit (PQUIC's default pool stopped at 2092 bytes).
 *
 * Type-stable memory (like Linux's SLAB_TYPESAFE_BY_RCU caches): every block belongs to an
 * allocation *site*, the pc of the my_malloc / my_realloc call that asked for it, and a freed
 * block goes to the pool of its (site, size) and is handed out again only for that same site and
 * size, at the same address. So a pointer kept past my_free (a dangling pointer) still points at
 * the start of a block of its own site and size, and each offset of it is the same field of the
 * same layout: what the verifier proves about the fields written at one site (its heap-cell
 * summary, src/vm/verifier/cells.ts) holds for every block of that site, freed or not. Blocks are
 * zeroed when handed out, so a field nothing wrote reads 0, which the summary includes.
 *
 * Fresh memory comes first fit from an address-ordered free list with coalescing; it only grows
 * back when the host releases a buffer it lent for one call (those blocks are never a site's).
 * The price: memory freed at one site is not available to another site or size.
 */

const ALIGN = 16;
/** Sites are pcs of the linked image; a live block's record is size * SITES + site. */
const SITES = 2 ** 21;

export class HeapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HeapError';
  }
}

export class PluginHeap {
  readonly start: number;
  readonly size: number;
  /** Unused memory as [start, size], sorted by start, never adjacent (coalesced). */
  private free: [number, number][];
  /** Live blocks: start → rounded size * SITES + site (the key of the pool it returns to). */
  private readonly live = new Map<number, number>();
  /** Freed blocks by pool key (rounded size * SITES + site): reused only for that site and size. */
  private readonly pools = new Map<number, number[]>();
  /**
   * Live blocks the host lent the plugin for one call (the bytes granted to a pluglet). Only the
   * host frees them: a plugin's my_free or my_realloc of one is a plugin error, not a block that
   * disappears under the host, which releases it after the call.
   */
  private readonly hostOwned = new Set<number>();
  private used = 0;
  private pooled = 0;
  /** Zeroes [addr, addr + n) of the plugin's memory (no-op when the heap is used without one). */
  private readonly clear: (addr: number, n: number) => void;

  constructor(start: number, size: number, clear?: (addr: number, n: number) => void) {
    if (start % ALIGN !== 0) throw new HeapError(`heap start ${start} is not ${ALIGN}-byte aligned`);
    if (start === 0) throw new HeapError('a heap at address 0 would hand out NULL');
    if (size * SITES >= Number.MAX_SAFE_INTEGER) throw new HeapError(`heap of ${size} bytes too large for exact block records`);
    this.start = start;
    this.size = size - (size % ALIGN);
    this.free = this.size > 0 ? [[start, this.size]] : [];
    this.clear = clear ?? (() => {});
  }

  /** Bytes in live blocks. */
  get bytesUsed(): number {
    return this.used;
  }

  /** Bytes in freed blocks kept for their site and size. */
  get bytesPooled(): number {
    return this.pooled;
  }

  get blocks(): number {
    return this.live.size;
  }

  /**
   * Returns the address of a zeroed block of at least `n` bytes for allocation site `site`, or
   * 0 when there is no room (NULL). A freed block of the same site and size comes back first.
   */
  malloc(n: number, site = 0): number {
    if (!Number.isSafeInteger(n) || n <= 0 || n > this.size) return 0;
    if (!Number.isInteger(site) || site < 0 || site >= SITES) throw new HeapError(`allocation site ${site} out of range`);
    const need = Math.ceil(n / ALIGN) * ALIGN;
    const key = need * SITES + site;
    const pool = this.pools.get(key);
    let addr = pool?.pop();
    if (addr !== undefined) this.pooled -= need;
    else {
      addr = this.carve(need);
      if (addr === 0) return 0;
    }
    this.live.set(addr, key);
    this.used += need;
    this.clear(addr, need);
    return addr;
  }

  /** A block for the host to lend the plugin during one call; freed with `freeHostBlock`. Never a site's memory. */
  mallocHost(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0 || n > this.size) return 0;
    const need = Math.ceil(n / ALIGN) * ALIGN;
    const addr = this.carve(need);
    if (addr === 0) return 0;
    this.live.set(addr, need * SITES);
    this.used += need;
    this.hostOwned.add(addr);
    return addr;
  }

  /** Frees a block `mallocHost` returned: its memory goes back to the free list. */
  freeHostBlock(addr: number): void {
    if (!this.hostOwned.delete(addr)) throw new HeapError(`0x${addr.toString(16)} is not a block the host lent`);
    const size = this.sizeOf(this.live.get(addr)!);
    this.live.delete(addr);
    this.used -= size;
    this.insertFree(addr, size);
  }

  /**
   * Frees a block into its site's pool; NULL is a no-op. Throws HeapError for an address that is
   * not a live block, or that the host lent for the current call.
   */
  freeBlock(addr: number): void {
    if (addr === 0) return;
    if (this.hostOwned.has(addr)) throw new HeapError(`my_free(0x${addr.toString(16)}): a buffer the host granted for this call (the host releases it)`);
    const key = this.live.get(addr);
    if (key === undefined) throw new HeapError(`my_free(0x${addr.toString(16)}): not a block allocated by my_malloc (double free?)`);
    this.live.delete(addr);
    const size = this.sizeOf(key);
    this.used -= size;
    this.pooled += size;
    const pool = this.pools.get(key);
    if (pool) pool.push(addr);
    else this.pools.set(key, [addr]);
  }

  /**
   * my_realloc at site `site`: NULL behaves as malloc, size 0 as free (returns 0). The data always
   * moves (with `move(from, to, bytes)`) to a block of the realloc's own site, and the old block
   * goes back to its pool: resized in place, a block would change its size or layout under the
   * dangling pointers of its first site. Returns 0 on failure, leaving the old block untouched.
   */
  realloc(addr: number, n: number, move: (from: number, to: number, bytes: number) => void, site = 0): number {
    if (addr === 0) return this.malloc(n, site);
    if (this.hostOwned.has(addr)) throw new HeapError(`my_realloc(0x${addr.toString(16)}): a buffer the host granted for this call (the host releases it)`);
    const key = this.live.get(addr);
    if (key === undefined) throw new HeapError(`my_realloc(0x${addr.toString(16)}): not a block allocated by my_malloc`);
    if (n === 0) {
      this.freeBlock(addr);
      return 0;
    }
    const to = this.malloc(n, site);
    if (to === 0) return 0;
    const size = this.sizeOf(key);
    move(addr, to, Math.min(size, Math.ceil(n / ALIGN) * ALIGN));
    this.freeBlock(addr);
    return to;
  }

  /** The live block containing addr, if any, with its site (for diagnostics and tests). */
  blockOf(addr: number): { start: number; size: number; site: number } | undefined {
    for (const [start, key] of this.live) {
      const size = this.sizeOf(key);
      if (addr >= start && addr < start + size) return { start, size, site: key % SITES };
    }
    return undefined;
  }

  private sizeOf(key: number): number {
    return Math.floor(key / SITES);
  }

  /** First fit from the free list: the block's address, or 0. */
  private carve(need: number): number {
    for (let i = 0; i < this.free.length; i++) {
      const f = this.free[i]!;
      if (f[1] < need) continue;
      const addr = f[0];
      if (f[1] === need) this.free.splice(i, 1);
      else {
        f[0] += need;
        f[1] -= need;
      }
      return addr;
    }
    return 0;
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
