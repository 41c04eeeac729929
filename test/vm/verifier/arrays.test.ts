/**
 * Stack arrays filled by a loop (src/vm/verifier/inits.ts): the bytes a stepped pointer has
 * written are initialized for the reads after the loop, and every near miss (a slot short, a
 * gap, an early exit, a pointer moved by something other than its step) stays UNINIT_STACK.
 */
import { describe, expect, it } from 'vitest';
import { verifyAsm } from './util.js';

interface Fill {
  /** Slots the loop writes (the counter's exit value). */
  count?: number;
  /** Bytes per store and per step of the pointer. */
  width?: 'w' | 'dw';
  stride?: number;
  /** Offset of the store from the pointer. */
  storeOff?: number;
  /** Extra instructions at the top of the loop body (an early exit, a rewrite of the pointer). */
  body?: string[];
  /** What the program does after the loop (its reads). */
  after?: string[];
}

/** `for (i = 0, p = fp - 64; i != count; i++, p += stride) *(p + storeOff) = i;` then `after`. */
function fill(o: Fill = {}): string {
  const stride = o.stride ?? (o.width === 'dw' ? 8 : 4);
  return [
    'mov %r3, 0',
    'mov %r4, %r10',
    'add %r4, -64',
    'l:',
    ...(o.body ?? []),
    `stx${o.width ?? 'w'} [%r4${o.storeOff ? `+${o.storeOff}` : ''}], %r3`,
    `add %r4, ${stride}`,
    'add %r3, 1',
    `jne %r3, ${o.count ?? 16}, l`,
    'out:',
    ...(o.after ?? ['ldxw %r0, [%r10-4]']),
    'exit',
  ].join('\n');
}

/** table[len & 15] (4-byte entries at fp-64): a read anywhere in the table. */
const indexedBy = (r: string): string[] => [`mov %r0, ${r}`, 'and %r0, 15', 'lsh %r0, 2', 'mov %r5, %r10', 'add %r5, -64', 'add %r5, %r0', 'ldxw %r0, [%r5]'];
const indexed = indexedBy('%r2');

const errs = (src: string): string[] => verifyAsm(src, { ctx: 'mem' }).errors.map((e) => `${e.pc} ${e.code}: ${e.reason}`);
const uninit = (src: string): boolean => verifyAsm(src, { ctx: 'mem' }).errors.some((e) => e.code === 'UNINIT_STACK');

describe('verifier: a stack array filled by a loop is initialized after it', () => {
  it('16 four-byte slots, then the last one (strict)', () => {
    expect(errs(fill())).toEqual([]);
  });

  it('16 four-byte slots, then any of them through a masked index (strict, crc32 table)', () => {
    expect(errs(fill({ after: indexed }))).toEqual([]);
  });

  it('8 eight-byte slots read back whole', () => {
    expect(errs(fill({ width: 'dw', count: 8, after: ['ldxdw %r0, [%r10-64]', 'ldxdw %r1, [%r10-8]', 'add %r0, %r1'] }))).toEqual([]);
  });

  it('filled by a called function through a pointer to the caller\'s frame', () => {
    const src = [
      'mov %r6, %r2', 'mov %r1, %r10', 'add %r1, -64', 'call local fill', ...indexedBy('%r6'), 'exit',
      'fill:', 'mov %r3, 0', 'l:', 'stxw [%r1], %r3', 'add %r1, 4', 'add %r3, 1', 'jne %r3, 16, l', 'mov %r0, 0', 'exit',
    ].join('\n');
    expect(errs(src)).toEqual([]);
  });

  const misses: [string, Fill][] = [
    ['15 of 16 slots, then slot 15', { count: 15 }],
    ['15 of 16 slots, then any slot', { count: 15, after: indexed }],
    ['a gap: 4-byte stores 8 bytes apart', { stride: 8, count: 8 }],
    ['the first store one slot in (slot 0 never written)', { storeOff: 4, count: 15, after: indexed }],
    ['an early exit from the loop', { body: ['jeq %r2, 7, out'] }],
    ['the pointer moved by something other than a constant step', { body: ['jeq %r2, 7, skip', 'add %r4, 4', 'skip:', 'and %r4, -1'], after: indexed }],
    ['the pointer moved back by a register', { body: ['mov %r6, %r2', 'and %r6, 4', 'sub %r4, %r6'], after: indexed }],
  ];
  for (const [what, o] of misses) {
    it(`stays UNINIT_STACK: ${what}`, () => {
      expect(uninit(fill(o)), errs(fill(o)).join('\n')).toBe(true);
    });
  }

  it('an array filled in a called function stays uninitialized when the callee writes 15 slots', () => {
    const src = [
      'mov %r6, %r2', 'mov %r1, %r10', 'add %r1, -64', 'call local fill', ...indexedBy('%r6'), 'exit',
      'fill:', 'mov %r3, 0', 'l:', 'stxw [%r1], %r3', 'add %r1, 4', 'add %r3, 1', 'jne %r3, 15, l', 'mov %r0, 0', 'exit',
    ].join('\n');
    expect(uninit(src)).toBe(true);
  });
});
