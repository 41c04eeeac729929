/**
 * Kept slots and the plugin-wide summary (src/vm/verifier/kept.ts, src/plugins/verify-plugin.ts):
 * a heap block kept in metadata or output as parse_frame's frame is read back by other pluglets
 * as a pointer-or-NULL to that many bytes; everything else stays a number, and a stack pointer
 * stays a leak. Each accepted program has negative twins that must stay rejected.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../src/vm/asm.js';
import { rawImage } from '../../../src/vm/program.js';
import { MANIFEST_NO_PARAM, type PlugletEntry } from '../../../src/plugins/manifest.js';
import { verifyPlugin } from '../../../src/plugins/verify-plugin.js';
import { verifyProgram, type KeptFact, type Policy, type VerifyResult } from '../../../src/vm/verifier/index.js';
import { pluginHelpers } from '../../../src/plugins/helper-signatures.js';
import { AK_CNX_OUTPUT, HELPER_IDS } from '../../../src/plugins/abi.js';
import { elf } from './util.js';
import { reserveAsm } from './reserve-asm.js';

const id = (name: string): number => HELPER_IDS.get(name)!;
const [GET_CNX, SET_CNX, GET_CNX_METADATA, SET_CNX_METADATA, MALLOC] = ['get_cnx', 'set_cnx', 'get_cnx_metadata', 'set_cnx_metadata', 'my_malloc'].map(id);

/** Allocates `size` bytes and keeps the block (plus `off`) in metadata slot 0. */
const keepBlock = (size: number, off = 0): string => `mov %r6, %r1
mov %r2, ${size}
call ${MALLOC}
jeq %r0, 0, out
mov %r3, %r0
add %r3, ${off}
mov %r1, %r6
mov %r2, 0
call ${SET_CNX_METADATA}
out:
mov %r0, 0
exit`;

/** Keeps `value` (an instruction sequence leaving it in r3) in metadata slot 0. */
const keep = (value: string): string => `${value}
mov %r2, 0
call ${SET_CNX_METADATA}
mov %r0, 0
exit`;

/** Reads metadata slot 0 and loads 8 bytes at `off`, after a NULL check unless `unchecked`. */
const readAt = (off: number, unchecked = false): string => `mov %r2, 0
call ${GET_CNX_METADATA}
${unchecked ? '' : 'jeq %r0, 0, out\n'}ldxdw %r0, [%r0+${off}]
exit${unchecked ? '' : '\nout:\nmov %r0, 0\nexit'}`;

interface P {
  src: string;
  op?: string;
  param?: number;
  anchor?: PlugletEntry['anchor'];
}

function entry(p: P, i: number): PlugletEntry {
  return { protoop: p.op ?? `op${i}`, param: p.param ?? MANIFEST_NO_PARAM, anchor: p.anchor ?? 'replace', objectPath: `p${i}.o`, source: { file: 't.plugin', line: i + 1 }, afterNegotiation: false };
}

function plugin(ps: P[], policy: Policy = 'strict'): VerifyResult[] {
  return verifyPlugin(ps.map((p) => rawImage(assemble(p.src))), ps.map((p, i) => ({ entry: entry(p, i), program: i })), policy).results;
}

const codes = (r: VerifyResult): string[] => r.errors.map((e) => e.code);
/** The pc of the first instruction matching `re` (labels take no slot, lddw is not used here). */
const pcOf = (src: string, re: RegExp): number => src.split('\n').filter((l) => l.trim() !== '' && !l.endsWith(':')).findIndex((l) => re.test(l));

describe('kept slots: metadata', () => {
  it('a 16-byte block kept in metadata is read back, NULL-checked and accessed inside: accepted, the access proven', () => {
    const [w, r] = plugin([{ src: keepBlock(16) }, { src: readAt(8) }]);
    expect(codes(w!)).toEqual([]);
    expect(codes(r!)).toEqual([]);
    expect(r!.provenAccesses.has(pcOf(readAt(8), /ldxdw/))).toBe(true);
  });

  it('twin: the same slot accessed at offset 16 of a 16-byte block is out of bounds', () => {
    const [, r] = plugin([{ src: keepBlock(16) }, { src: readAt(16) }]);
    expect(r!.errors[0]).toMatchObject({ code: 'OUT_OF_BOUNDS', reason: expect.stringMatching(/heap block of 16 bytes/) });
  });

  it('twin: a pointer 8 bytes into the block leaves 8 bytes: offset 8 is out of bounds', () => {
    const [, r] = plugin([{ src: keepBlock(16, 8) }, { src: readAt(8) }]);
    expect(r!.errors[0]).toMatchObject({ code: 'OUT_OF_BOUNDS', reason: expect.stringMatching(/heap block of 8 bytes/) });
  });

  it('twin: dereference without a NULL check (the slot starts at 0)', () => {
    const [, r] = plugin([{ src: keepBlock(16) }, { src: readAt(0, true) }]);
    expect(r!.errors[0]).toMatchObject({ code: 'NULL_DEREF', reason: expect.stringMatching(/may be NULL/) });
  });

  it('twin: a stack pointer kept in the slot is a leak, and its readers get a number', () => {
    const [w, r] = plugin([{ src: keep('stdw [%r10-16], 0\nmov %r3, %r10\nadd %r3, -16') }, { src: readAt(0) }]);
    expect(w!.errors[0]).toMatchObject({ code: 'POINTER_LEAK', reason: expect.stringMatching(/set_cnx_metadata receives an address in r3/) });
    expect(codes(r!)).toContain('SCALAR_DEREF');
  });

  it('twin under checked: nothing is definite, but the reader\'s access is not proven (it keeps its runtime check)', () => {
    const [w, r] = plugin([{ src: keep('stdw [%r10-16], 0\nmov %r3, %r10\nadd %r3, -16') }, { src: readAt(0) }], 'checked');
    expect(w!.ok && r!.ok).toBe(true);
    expect(r!.provenAccesses.size).toBe(0);
  });

  it('twin: one pluglet keeps a number in the slot another dereferences', () => {
    const [, , r] = plugin([{ src: keepBlock(16) }, { src: keep('mov %r3, 4096') }, { src: readAt(0) }]);
    expect(r!.errors[0]).toMatchObject({ code: 'SCALAR_DEREF' });
  });

  it('twin: a write at an unknown slot index may hit slot 0', () => {
    const unknownSlot = `mov %r6, %r1\ncall 1\nmov %r7, %r0\nmov %r1, %r6\nmov %r2, %r7\nmov %r3, 4096\ncall ${SET_CNX_METADATA}\nmov %r0, 0\nexit`;
    const [, , r] = plugin([{ src: keepBlock(16) }, { src: unknownSlot }, { src: readAt(0) }]);
    expect(r!.errors[0]).toMatchObject({ code: 'SCALAR_DEREF' });
  });

  it('NULL kept in the slot keeps the block type; the smallest block wins', () => {
    const [, , , ok, bad] = plugin([{ src: keepBlock(32) }, { src: keepBlock(16) }, { src: keep('mov %r3, 0') }, { src: readAt(8) }, { src: readAt(16) }]);
    expect(codes(ok!)).toEqual([]);
    expect(codes(bad!)).toEqual(['OUT_OF_BOUNDS']);
  });

  it('a value read back and kept again is a number to the summary (the first pass reads numbers)', () => {
    // Keeps block + 8 after reading the slot: the readers must not be typed with 16 bytes.
    const shift = `mov %r6, %r1\nmov %r2, 0\ncall ${GET_CNX_METADATA}\njeq %r0, 0, out\nmov %r3, %r0\nadd %r3, 8\nmov %r1, %r6\nmov %r2, 0\ncall ${SET_CNX_METADATA}\nout:\nmov %r0, 0\nexit`;
    const [, s, r] = plugin([{ src: keepBlock(16) }, { src: shift }, { src: readAt(8) }]);
    expect(codes(s!)).toEqual([]);
    expect(codes(r!)).toEqual(['SCALAR_DEREF']);
  });

  it('a write the summary does not cover is refused under both policies (the readers\' types would be wrong)', () => {
    const summary = new Map<string, KeptFact>([['cnx_metadata:0', { kind: 'heap', size: 16n }]]);
    for (const policy of ['strict', 'checked'] as const) {
      const r = verifyProgram(rawImage(assemble(keepBlock(8))), { ...pluginHelpers, policy, kept: { summary } });
      expect(r.errors[0]).toMatchObject({ code: 'HELPER_ARG', reason: expect.stringMatching(/cnx_metadata:0 receives a heap block of 8 bytes or NULL, but its readers were verified with a heap block of 16 bytes or NULL/) });
      expect(verifyProgram(rawImage(assemble(keepBlock(16))), { ...pluginHelpers, policy, kept: { summary } }).ok).toBe(true);
    }
  });
});

describe('kept slots: frames', () => {
  /** parse_frame: a `size`-byte frame structure as output 0, the whole buffer consumed. */
  const parse = (size: number, output = 0): string => `mov %r6, %r1
mov %r2, 1
mov %r3, 1
call ${GET_CNX}
mov %r7, %r0
mov %r1, %r6
mov %r2, ${size}
call ${MALLOC}
jeq %r0, 0, out
mov %r4, %r0
mov %r1, %r6
mov %r2, ${AK_CNX_OUTPUT}
mov %r3, ${output}
call ${SET_CNX}
mov %r0, %r7
exit
out:
mov %r0, 0
exit`;
  /** process_frame: input 0, NULL-checked, loaded at `off`. */
  const process = (off: number): string => `mov %r2, 0
mov %r3, 0
call ${GET_CNX}
jeq %r0, 0, out
ldxdw %r0, [%r0+${off}]
exit
out:
mov %r0, 0
exit`;

  it('parse_frame\'s frame structure is no leak, and process_frame of the same type reads it typed', () => {
    const [pa, pr] = plugin([{ src: parse(24), op: 'parse_frame', param: 0x30 }, { src: process(16), op: 'process_frame', param: 0x30 }]);
    expect(codes(pa!)).toEqual([]);
    expect(codes(pr!)).toEqual([]);
  });

  it('twin: past the frame structure', () => {
    const [, pr] = plugin([{ src: parse(24), op: 'parse_frame', param: 0x30 }, { src: process(24), op: 'process_frame', param: 0x30 }]);
    expect(codes(pr!)).toEqual(['OUT_OF_BOUNDS']);
  });

  it('twin: frames of a type this plugin does not parse (replace) are numbers', () => {
    const [, pr] = plugin([{ src: parse(24), op: 'parse_frame', param: 0x30, anchor: 'post' }, { src: process(0), op: 'process_frame', param: 0x30 }]);
    expect(codes(pr!)).toEqual(['SCALAR_DEREF']);
    const [, other] = plugin([{ src: parse(24), op: 'parse_frame', param: 0x30 }, { src: process(0), op: 'process_frame', param: 0x31 }]);
    expect(codes(other!)).toEqual(['SCALAR_DEREF']);
  });

  it('twin: a heap pointer in an output the host reads (parse_frame\'s output 1) is a leak', () => {
    const [pa] = plugin([{ src: parse(24, 1), op: 'parse_frame', param: 0x30 }]);
    expect(pa!.errors[0]).toMatchObject({ code: 'POINTER_LEAK', reason: expect.stringMatching(/set_cnx receives an address in r4/) });
  });
});

describe('kept slots: the C corpus (plugins-c/verifier-tests/kept.c)', () => {
  /** The named functions of kept.o, verified as the pluglets of one plugin. */
  const together = (names: string[]): Map<string, VerifyResult> => {
    const images = names.map((n) => elf('plugins-c/verifier-tests/kept.o', n));
    const pluglets = names.map((n, i) => ({ entry: entry({ src: '', op: n }, i), program: i }));
    const results = verifyPlugin(images, pluglets, 'strict').results;
    return new Map(names.map((n, i) => [n, results[i]!]));
  };

  it('keep_state and read_state: accepted under strict', () => {
    const r = together(['keep_state', 'read_state']);
    expect([...r.values()].flatMap(codes)).toEqual([]);
    expect(r.get('read_state')!.provenAccesses.size).toBeGreaterThanOrEqual(4);
  });

  it('twins: past the block, no NULL check, a stack pointer or a number in the slot', () => {
    const r = together(['keep_state', 'read_state', 'read_past', 'read_unchecked']);
    expect(codes(r.get('read_past')!)).toEqual(['OUT_OF_BOUNDS']);
    expect(codes(r.get('read_unchecked')!)).toEqual(['NULL_DEREF']);
    const stack = together(['keep_state', 'keep_stack', 'read_state']);
    expect(codes(stack.get('keep_stack')!)).toEqual(['POINTER_LEAK']);
    expect(codes(stack.get('read_state')!)).toContain('SCALAR_DEREF');
    const num = together(['keep_state', 'keep_number', 'read_state']);
    expect(codes(num.get('keep_number')!)).toEqual([]);
    expect(codes(num.get('read_state')!)).toContain('SCALAR_DEREF');
  });
});

describe('kept slots: reserve_frames\' frame_ctx', () => {
  /** Reserves one frame of type 0x31, 100 bytes, frame_ctx from `ctx` (into r4). */
  const reserve = (ctx: string): string => reserveAsm(ctx, 0x31, 100);
  const block = `mov %r2, 24\ncall ${MALLOC}\njne %r0, 0, ok\nexit\nok:\nmov %r4, %r0`;

  it('a heap block as frame_ctx is no leak, and the summary records it under its frame type', () => {
    const images = [rawImage(assemble(reserve(block)))];
    const v = verifyPlugin(images, [{ entry: entry({ src: '', op: 'send' }, 0), program: 0 }], 'strict');
    expect(codes(v.results[0]!)).toEqual([]);
    // NULL-checked before the reservation: a frame_ctx has no initial 0, so it stays non-NULL.
    // Its allocation site (object 0, the my_malloc at pc 2) travels with it.
    expect(v.summary.get('reserved:0x31')).toEqual({ kind: 'heap', size: 24n, nonNull: true, sites: [2] });
  });

  it('twin: a stack address as frame_ctx is a leak under strict', () => {
    const [r] = plugin([{ src: reserve('mov %r4, %r10\nadd %r4, -64') }]);
    expect(r!.errors[0]).toMatchObject({ code: 'POINTER_LEAK', reason: expect.stringMatching(/reserve_frames receives an address in the records at r3/) });
  });
});
