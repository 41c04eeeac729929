/**
 * Pointers held as one object in two locations are copies to `end - p` (room.ts) and to length
 * fields (len-fields.ts); the inclusion test of the fixpoint (leqState) must see that sharing, as
 * the join does (sharing.ts): a state whose two locations hold one pointer does not include a
 * state where they hold two different pointers, even when each is within its range.
 */
import { describe, expect, it } from 'vitest';
import { scalarConst, scalarU } from '../../../src/vm/verifier/scalar.js';
import { emptyFrame, joinState, leqState, ptrValue, scalarValue, UNINIT, type State, type Value } from '../../../src/vm/verifier/state.js';
import { writeStack } from '../../../src/vm/verifier/stack.js';
import { codes, decode, frame, skipFirst, verifyFrame as verify } from './frame-asm.js';

/** A context pointer at an offset in [lo, hi], at least 0 bytes before the end. */
const ctx = (lo: bigint, hi: bigint): Value => ptrValue('ctx', 0, scalarU(lo, hi)!, { offSlack: 0n });

/** r7 and r9 as given, r10 the frame pointer, the length in [16, 100]. */
function state(r7: Value, r9: Value): State {
  const regs: Value[] = new Array<Value>(11).fill(UNINIT);
  regs[7] = r7;
  regs[9] = r9;
  regs[10] = ptrValue('stack', 0, scalarConst(0n));
  return { regs, frames: [emptyFrame(512)], ctxLen: scalarU(16n, 100n)! };
}

describe('leqState and pointers shared between locations', () => {
  const wide = ctx(0n, 8n);

  it('two different pointers are not included in one shared pointer, each within its range', () => {
    const old = state(wide, wide);
    const out = state(ctx(2n, 2n), ctx(5n, 5n));
    expect(leqState(out, old)).toBe(false);
  });

  it('the same two pointers are included where the old state holds two objects', () => {
    expect(leqState(state(ctx(2n, 2n), ctx(5n, 5n)), state(wide, ctx(0n, 8n)))).toBe(true);
  });

  it('one shared pointer is included in one shared pointer (the copies survive)', () => {
    const p = ctx(3n, 4n);
    expect(leqState(state(p, p), state(wide, wide))).toBe(true);
  });

  it('sharing a new state has and the old lacks is only a stronger state', () => {
    const p = ctx(3n, 4n);
    expect(leqState(state(p, p), state(wide, ctx(0n, 8n)))).toBe(true);
  });

  it('a register and a stack slot holding one pointer: a changed slot is seen', () => {
    const old = state(wide, scalarValue(scalarConst(1n)));
    writeStack(old, 0, -8n, -8n, 8, wide, 512);
    const same = state(wide, scalarValue(scalarConst(1n)));
    writeStack(same, 0, -8n, -8n, 8, wide, 512);
    const apart = state(wide, scalarValue(scalarConst(1n)));
    writeStack(apart, 0, -8n, -8n, 8, ctx(1n, 1n), 512);
    expect(leqState(same, old)).toBe(true);
    expect(leqState(apart, old)).toBe(false);
  });

  it('a join keeps one object only where both sides hold that very object', () => {
    // Heap pointers: a register's context pointer is rebuilt by every join (withSlack).
    const h = ptrValue('heap', 0, scalarConst(0n), { size: 16n });
    const both = joinState(state(h, h), state(h, h));
    expect(both.regs[7]).toBe(both.regs[9]);
    const other = ptrValue('heap', 0, scalarConst(0n), { size: 16n });
    const one = joinState(state(h, h), state(h, other));
    expect(one.regs[7]).not.toBe(one.regs[9]);
    // The joined state includes both sides, the side without sharing too.
    expect(leqState(state(h, other), one)).toBe(true);
    expect(leqState(state(h, other), state(h, h))).toBe(false);
  });
});

/**
 * r7 moved by a first varint (an offset range); `copy` makes r9 from r7, r4 = end - r7 names
 * r7's copies, a loop runs four times, then varint_decode(r9, r4).
 */
const program = (copy: string): string => frame(`${skipFirst}
${copy}
mov %r4, %r8
sub %r4, %r7
mov %r5, 0
loop:
add %r5, 1
jlt %r5, 4, loop
${decode('%r9', 'mov %r2, %r4')}`);

describe('end - p names the copies of p, and the name lasts through a loop', () => {
  it('r9 a copy of r7: the room after r7 covers r9 after the loop', () => {
    expect(codes(verify(program('mov %r9, %r7')))).toEqual([]);
  });

  it('twin: r9 = r7 + 1 on one path only: not a copy after the join', () => {
    const r = verify(program('mov %r9, %r7\njeq %r0, 7, skip\nadd %r9, 1\nskip:'));
    expect(codes(r)).toEqual(['HELPER_ARG']);
  });
});
