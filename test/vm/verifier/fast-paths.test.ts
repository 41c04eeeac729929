/**
 * The shortcuts that keep the verifier fast must compute what the plain definitions do:
 * known-bit meets against a bit-by-bit reference, canonical scalars returned as they are, joins
 * that keep an unchanged frame, and rejections whose state is printed on first read but shows
 * the state at the rejected instruction.
 */
import { describe, expect, it } from 'vitest';
import { TNUM_UNKNOWN, U64, tnumConst, tnumJoin, tnumMeet, tnumRange, type Tnum } from '../../../src/vm/verifier/tnum.js';
import { normalize, scalarConst, scalarU } from '../../../src/vm/verifier/scalar.js';
import { emptyFrame, joinState, scalarValue, type State } from '../../../src/vm/verifier/state.js';
import { seeded, verifyAsm } from './util.js';

/** The meet by definition: bit by bit, a contradiction on a bit known in both is no value. */
function meetByBits(a: Tnum, b: Tnum): Tnum | undefined {
  let value = 0n;
  let mask = 0n;
  for (let i = 0n; i < 64n; i++) {
    const ka = ((a.mask >> i) & 1n) === 0n;
    const kb = ((b.mask >> i) & 1n) === 0n;
    const va = (a.value >> i) & 1n;
    const vb = (b.value >> i) & 1n;
    if (ka && kb && va !== vb) return undefined;
    if (ka) value |= va << i;
    else if (kb) value |= vb << i;
    else mask |= 1n << i;
  }
  return { value, mask };
}

describe('known-bit meets', () => {
  const rnd = seeded(61);
  const big = (): bigint => (BigInt(rnd(0x10000)) << 48n) | (BigInt(rnd(0x10000)) << 32n) | (BigInt(rnd(0x10000)) << 16n) | BigInt(rnd(0x10000));
  const sample = (): Tnum => {
    switch (rnd(5)) {
      case 0: return TNUM_UNKNOWN;
      case 1: return tnumConst(big());
      case 2: {
        const lo = big() >> BigInt(rnd(64));
        return tnumRange(lo, lo + (big() >> BigInt(rnd(64))) > U64 ? U64 : lo + (big() >> BigInt(rnd(64))));
      }
      case 3: return tnumJoin(tnumConst(big()), tnumConst(big()));
      default: {
        const mask = big() & big();
        return { value: big() & (U64 ^ mask), mask };
      }
    }
  };

  it('agrees with the bit-by-bit definition, unknown and equal operands included', () => {
    for (let i = 0; i < 3000; i++) {
      const a = sample();
      const b = rnd(4) === 0 ? a : sample();
      const got = tnumMeet(a, b);
      const want = meetByBits(a, b);
      if (want === undefined) expect(got).toBeUndefined();
      else expect(got && { value: got.value, mask: got.mask }).toEqual(want);
    }
  });

  it('meeting with unknown gives the other operand', () => {
    const t = tnumRange(16n, 31n);
    expect(tnumMeet(t, TNUM_UNKNOWN)).toBe(t);
    expect(tnumMeet(TNUM_UNKNOWN, t)).toEqual(t);
  });
});

describe('canonical scalars', () => {
  it('normalize returns a canonical scalar itself and tightens one that is not', () => {
    const s = scalarU(3n, 200n)!;
    expect(normalize(s)).toBe(s);
    // Known low bits (a multiple of 8) move the bounds: not canonical, so a new scalar.
    const loose = { ...s, umin: 1n, umax: 60n, smin: 1n, smax: 60n, t: { value: 0n, mask: U64 ^ 7n } };
    const n = normalize(loose)!;
    expect(n).not.toBe(loose);
    expect([n.umin, n.umax]).toEqual([8n, 56n]);
    expect(normalize(n)).toBe(n);
  });
});

describe('joins', () => {
  const state = (slot: bigint | undefined): State => {
    const f = emptyFrame(64);
    const frame = slot === undefined ? f : { slots: f.slots.map((v, k) => (k === 7 ? scalarValue(scalarConst(slot)) : v)), masks: f.masks.map((m, k) => (k === 7 ? 0xff : m)) };
    return { regs: Array.from({ length: 11 }, () => scalarValue(scalarConst(1n))), frames: [frame], ctxLen: scalarConst(0n) };
  };

  it('keeps a frame nothing changes, and joins a slot that differs into a new frame', () => {
    const a = state(5n);
    const same = joinState(a, { ...a, regs: a.regs.slice(), frames: [{ slots: a.frames[0]!.slots.slice(), masks: a.frames[0]!.masks.slice() }] });
    expect(same.frames[0]).toBe(a.frames[0]);
    const b = state(9n);
    const j = joinState(a, b);
    expect(j.frames[0]).not.toBe(a.frames[0]);
    const v = j.frames[0]!.slots[7]!;
    expect(v.k === 'scalar' && [v.s.umin, v.s.umax]).toEqual([5n, 9n]);
    // a itself is untouched (frames are shared between states).
    const va = a.frames[0]!.slots[7]!;
    expect(va.k === 'scalar' && va.s.umin).toBe(5n);
    // A slot written on one side only is not initialized after the join.
    const k = joinState(a, state(undefined));
    expect(k.frames[0]!.masks[7]).toBe(0);
    expect(k.frames[0]!.slots[7]).toBeUndefined();
  });
});

describe('rejections', () => {
  it('print the state at the rejected instruction, even though they are printed when read', () => {
    const r = verifyAsm('mov %r0, 7\nmov %r3, 1\nldxdw %r2, [%r3+0]\nmov %r0, 9\nexit', { ctx: 'mem', policy: 'strict' });
    expect(r.ok).toBe(false);
    const e = r.errors[0]!;
    expect(e.state).toContain('r0=7');
    expect(e.state).not.toContain('r0=9');
    expect(JSON.parse(JSON.stringify(e)).state).toBe(e.state);
    expect({ ...e }.trace.map((t) => t.pc)).toEqual([0, 1, 2]);
  });
});
