/**
 * Heap memory reused across blocks, and why the heap-cell summary (src/vm/verifier/cells.ts) may
 * type what a pluglet reads back from a field.
 *
 * With an allocator that hands a freed block's address to the next request of any size, a
 * pointer kept past my_free writes into whatever block now lies there, at another offset of it:
 * the twin below (a bound kept at +8 of a state block, a stale pointer to a freed message block
 * writing 1000 at the same address) would make the state's index leave its block, and a summary
 * per allocation site and offset would miss that write. The allocator is type-stable now
 * (src/plugins/heap.ts): a freed block comes back only to its own site, with its size, at the
 * same address. The stale pointer can only write field +8 of another message block, so the
 * twin's premise is gone and the read is proven; the same stale write through a pointer of the
 * state's own site is in the summary, and keeps the read unproven.
 */
import { describe, expect, it } from 'vitest';
import { PluginHeap } from '../../../src/plugins/heap.js';
import { allocInto, anyNumber, codes, id, indexedRead, verifyStrict, withSlot } from './heap-asm.js';

const FREE = id('my_free');

describe('heap memory reused across blocks', () => {
  it('the allocator no longer hands a freed 32-byte block\'s address to a 64-byte request, nor to another site', () => {
    const heap = new PluginHeap(4096, 4096);
    const msg = heap.malloc(32, 1);
    heap.freeBlock(msg);
    expect(heap.malloc(64, 1)).not.toBe(msg);
    expect(heap.malloc(32, 2)).not.toBe(msg);
    expect(heap.malloc(32, 1)).toBe(msg);
  });

  // The state block (slot 0, 64 bytes) stores only i & 7 at +8 and reads s[i] back; the message
  // block (slot 1, 32 bytes) is freed by one pluglet and written at +8 by another.
  const state = allocInto(0, 64, 'stdw [%r0+8], 0');
  const bounded = withSlot(0, `${anyNumber}\nand %r0, 7\nstxdw [%r7+8], %r0`);
  const message = allocInto(1, 32);
  const free = withSlot(1, `mov %r1, %r6\nmov %r2, %r7\ncall ${FREE}`);
  const stale = withSlot(1, 'stdw [%r7+8], 1000');

  it('twin defeated: the stale pointer to a freed message writes only message blocks, so the state\'s bound holds and s[i] is proven', () => {
    const v = verifyStrict([state, bounded, message, free, stale, indexedRead]);
    expect(codes(v)).toEqual([[], [], [], [], [], []]);
    expect(v.results[5]!.provenAccesses.size).toBe(2); // the field and the indexed load
  });

  it('twin kept: a stale pointer of the state\'s own site (the block freed through slot 1, kept in slot 0 too) is in the summary, and s[i] stays unproven', () => {
    const both = `mov %r6, %r1
mov %r2, 64
call ${id('my_malloc')}
jeq %r0, 0, out
stdw [%r0+8], 0
mov %r7, %r0
mov %r1, %r6
mov %r2, 0
mov %r3, %r7
call ${id('set_cnx_metadata')}
mov %r1, %r6
mov %r2, 1
mov %r3, %r7
call ${id('set_cnx_metadata')}
out:
mov %r0, 0
exit`;
    const v = verifyStrict([both, bounded, free, stale, indexedRead]);
    expect(codes(v).slice(0, 4)).toEqual([[], [], [], []]);
    expect(codes(v)[4]).toEqual(['OUT_OF_BOUNDS']);
    expect(v.results[4]!.provenAccesses.size).toBe(1); // the field itself; the indexed load keeps its check
  });
});
