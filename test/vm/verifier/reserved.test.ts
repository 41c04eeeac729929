/**
 * reserve_frames' frame_ctx read back as write_frame's input 2 and notify_frame's input 0
 * (src/plugins/verify-plugin.ts, keptFor): typed by the plugin-wide summary when the plugin
 * replaces write_frame of that type (the host then hands those pluglets only frame_ctx values
 * the plugin reserved: src/plugins/instance.ts). Each accepted program has negative twins.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../src/vm/asm.js';
import { rawImage } from '../../../src/vm/program.js';
import { MANIFEST_NO_PARAM, type PlugletEntry } from '../../../src/plugins/manifest.js';
import { verifyPlugin } from '../../../src/plugins/verify-plugin.js';
import type { KeptFact, VerifyResult } from '../../../src/vm/verifier/index.js';
import { KEPT_NULL, joinKept, leqKept } from '../../../src/vm/verifier/kept.js';
import { HELPER_IDS } from '../../../src/plugins/abi.js';
import { reserveAsm } from './reserve-asm.js';

const id = (name: string): number => HELPER_IDS.get(name)!;
const [GET_CNX, MALLOC] = ['get_cnx', 'my_malloc'].map(id);
const T = 0x3e;

const reserve = (ctx: string, type: number | 'unknown' = T): string => reserveAsm(ctx, type, 10);
const block = (size: number): string => `mov %r2, ${size}\ncall ${MALLOC}\njne %r0, 0, ok\nexit\nok:\nmov %r4, %r0`;

/** Reads input `input`, NULL-checks it unless `unchecked`, and loads 8 bytes at `off`. */
const readInput = (input: number, off: number, unchecked = false): string => `mov %r2, 0
mov %r3, ${input}
call ${GET_CNX}
${unchecked ? '' : 'jeq %r0, 0, out\n'}ldxdw %r0, [%r0+${off}]
exit${unchecked ? '' : '\nout:\nmov %r0, 0\nexit'}`;

interface P {
  src: string;
  op: string;
  param?: number;
  anchor?: PlugletEntry['anchor'];
}

function plugin(ps: P[]): VerifyResult[] {
  const entry = (p: P, i: number): PlugletEntry => ({
    protoop: p.op, param: p.param ?? MANIFEST_NO_PARAM, anchor: p.anchor ?? 'replace', objectPath: `p${i}.o`, source: { file: 't.plugin', line: i + 1 }, afterNegotiation: false,
  });
  return verifyPlugin(ps.map((p) => rawImage(assemble(p.src))), ps.map((p, i) => ({ entry: entry(p, i), program: i })), 'strict').results;
}

const codes = (r: VerifyResult): string[] => r.errors.map((e) => e.code);
const sender = (ctx: string, type: number | 'unknown' = T): P => ({ src: reserve(ctx, type), op: 'send' });
const writer = (off: number, unchecked = false): P => ({ src: readInput(2, off, unchecked), op: 'write_frame', param: T });
const notifier = (off: number): P => ({ src: readInput(0, off), op: 'notify_frame', param: T });

describe('reserved frames: frame_ctx typed in write_frame and notify_frame', () => {
  it('a 16-byte note reserved under its type is read by write_frame (input 2) and notify_frame (input 0): accepted, proven', () => {
    const [s, w, n] = plugin([sender(block(16)), writer(8), notifier(8)]);
    expect(codes(s!)).toEqual([]);
    expect(codes(w!)).toEqual([]);
    expect(codes(n!)).toEqual([]);
    expect(w!.provenAccesses.size).toBe(1);
    expect(n!.provenAccesses.size).toBe(1);
  });

  it('a reservation whose type the verifier cannot tell types every frame type the plugin writes', () => {
    const [s, w] = plugin([sender(block(16), 'unknown'), writer(8)]);
    expect(codes(s!)).toEqual([]);
    expect(codes(w!)).toEqual([]);
    const [, past] = plugin([sender(block(16), 'unknown'), writer(16)]);
    expect(codes(past!)).toEqual(['OUT_OF_BOUNDS']);
  });

  it('twin: accessed past its block', () => {
    const [, w, n] = plugin([sender(block(16)), writer(16), notifier(12)]);
    expect(w!.errors[0]).toMatchObject({ code: 'OUT_OF_BOUNDS', reason: expect.stringMatching(/heap block of 16 bytes/) });
    expect(codes(n!)).toEqual(['OUT_OF_BOUNDS']);
  });

  it('every reservation NULL-checked: frame_ctx is never NULL, no check needed in write_frame', () => {
    const [, w] = plugin([sender(block(16)), writer(0, true)]);
    expect(codes(w!)).toEqual([]);
    expect(w!.provenAccesses.size).toBe(1);
  });

  it('twin: a reservation may keep NULL (unchecked allocation, or a constant 0): a dereference needs a NULL check', () => {
    const unchecked = `mov %r2, 16\ncall ${MALLOC}\nmov %r4, %r0`;
    const [, w] = plugin([sender(unchecked), writer(0, true)]);
    expect(codes(w!)).toEqual(['NULL_DEREF']);
    const [, , w0, ok] = plugin([sender(block(16)), sender('mov %r4, 0'), writer(0, true), writer(0)]);
    expect(codes(w0!)).toEqual(['NULL_DEREF']);
    expect(codes(ok!)).toEqual([]);
  });

  it('twin: a stack pointer as frame_ctx is a leak, and the readers get a number', () => {
    const [s, w] = plugin([sender('mov %r4, %r10\nadd %r4, -64'), writer(0)]);
    expect(codes(s!)).toEqual(['POINTER_LEAK']);
    expect(codes(w!)).toEqual(['SCALAR_DEREF']);
  });

  it('twin: a number as frame_ctx (beside a block) makes the readers\' value a number', () => {
    const [s1, s2, w] = plugin([sender(block(16)), sender('mov %r4, 4096'), writer(0)]);
    expect(codes(s1!)).toEqual([]);
    expect(codes(s2!)).toEqual([]);
    expect(codes(w!)).toEqual(['SCALAR_DEREF']);
  });

  it('twin: another type\'s block does not type this one', () => {
    const [, w] = plugin([sender(block(16), 0x3f), writer(0)]);
    // Nothing of type 0x3e is reserved: the input is 0 only, and no pointer.
    expect(codes(w!)).toEqual(['SCALAR_DEREF']);
  });

  it('untyped when the plugin does not replace write_frame of that type (an observer of another plugin\'s frames)', () => {
    const [, w, n] = plugin([sender(block(16)), { ...writer(0), anchor: 'post' }, notifier(0)]);
    expect(codes(w!)).toEqual(['SCALAR_DEREF']);
    expect(codes(n!)).toEqual(['SCALAR_DEREF']);
  });
});

describe('kept facts: the non-NULL block', () => {
  const block = (size: bigint, nonNull = false): KeptFact => (nonNull ? { kind: 'heap', size, nonNull: true } : { kind: 'heap', size });
  it('joins to NULL-or-block unless both sides are non-NULL, and orders below its NULL-or-block twin', () => {
    expect(joinKept(block(16n, true), block(8n, true))).toEqual(block(8n, true));
    expect(joinKept(block(16n, true), block(32n))).toEqual(block(16n));
    expect(joinKept(KEPT_NULL, block(16n, true))).toEqual(block(16n));
    expect(joinKept(block(16n, true), KEPT_NULL)).toEqual(block(16n));
    expect(leqKept(block(16n, true), block(16n))).toBe(true);
    expect(leqKept(block(16n), block(16n, true))).toBe(false);
    expect(leqKept(KEPT_NULL, block(16n, true))).toBe(false);
    expect(leqKept(KEPT_NULL, block(16n))).toBe(true);
    expect(leqKept(block(8n, true), block(16n, true))).toBe(false);
  });
});
