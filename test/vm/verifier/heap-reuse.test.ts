/**
 * Why a value read back from heap memory could not be typed (docs: "What strict cannot prove
 * yet"): an allocator that hands a freed block's address to the next request of any size lets a
 * pointer kept past my_free write into whatever block now lies there, at another offset of it,
 * and a summary of what each field of a block receives (per allocation site, per offset) would
 * miss those writes. The allocator (src/plugins/heap.ts) now keeps freed memory apart by site and
 * size (the first test); the verifier still reads heap memory as numbers, so the twin stays
 * rejected.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../src/vm/asm.js';
import { rawImage } from '../../../src/vm/program.js';
import { MANIFEST_NO_PARAM } from '../../../src/plugins/manifest.js';
import { verifyPlugin } from '../../../src/plugins/verify-plugin.js';
import { PluginHeap } from '../../../src/plugins/heap.js';
import { AK_CNX_INPUT, HELPER_IDS } from '../../../src/plugins/abi.js';

const id = (name: string): number => HELPER_IDS.get(name)!;
const [GET_CNX, GET_META, SET_META, MALLOC, FREE] = ['get_cnx', 'get_cnx_metadata', 'set_cnx_metadata', 'my_malloc', 'my_free'].map(id);

/** Allocates `size` bytes, runs `init` (r0 = the block), keeps it in metadata slot `slot`. */
const allocInto = (slot: number, size: number, init = ''): string => `mov %r6, %r1
mov %r2, ${size}
call ${MALLOC}
jeq %r0, 0, out
${init}
mov %r3, %r0
mov %r1, %r6
mov %r2, ${slot}
call ${SET_META}
out:
mov %r0, 0
exit`;

/** Reads metadata slot `slot` into r7 (r6 = cnx), runs `body` when it is not NULL. */
const withSlot = (slot: number, body: string): string => `mov %r6, %r1
mov %r2, ${slot}
call ${GET_META}
jeq %r0, 0, out
mov %r7, %r0
${body}
out:
mov %r0, 0
exit`;

/** Input 0 of the running operation: a number the verifier knows nothing of. */
const anyNumber = `mov %r1, %r6\nmov %r2, ${AK_CNX_INPUT}\nmov %r3, 0\ncall ${GET_CNX}`;

function verify(srcs: string[]) {
  const entries = srcs.map((_, i) => ({ protoop: `op${i}`, param: MANIFEST_NO_PARAM, anchor: 'replace' as const, objectPath: `p${i}.o`, source: { file: 't.plugin', line: i + 1 }, afterNegotiation: false }));
  return verifyPlugin(srcs.map((s) => rawImage(assemble(s))), entries.map((entry, program) => ({ entry, program })), 'strict').results;
}

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
  // block (slot 1, 32 bytes) is freed by one pluglet and written at +8 by another. Run in the
  // order message, free, state, stale write, the state's +8 holds 1000 and s[1000] leaves it.
  const state = allocInto(0, 64, 'stdw [%r0+8], 0');
  const bounded = withSlot(0, `${anyNumber}\nand %r0, 7\nstxdw [%r7+8], %r0`);
  const message = allocInto(1, 32);
  const free = withSlot(1, `mov %r1, %r6\nmov %r2, %r7\ncall ${FREE}`);
  const stale = withSlot(1, 'stdw [%r7+8], 1000');
  const reader = withSlot(0, 'ldxdw %r1, [%r7+8]\nlsh %r1, 3\nadd %r7, %r1\nldxdw %r0, [%r7]');

  it('twin: a bound stored in one block, a stale pointer to a freed block writing the same address: the read index stays unproven', () => {
    const r = verify([state, bounded, message, free, stale, reader]);
    // Every writer is accepted: each access lies in its block (or in the heap region, after the free).
    expect(r.slice(0, 5).map((x) => x.errors.map((e) => e.code))).toEqual([[], [], [], [], []]);
    const read = r[5]!;
    expect(read.errors.map((e) => e.code)).toEqual(['OUT_OF_BOUNDS']);
    expect(read.provenAccesses.size).toBe(1); // the field itself; the indexed load keeps its check
  });
});
