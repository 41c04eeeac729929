/**
 * Memory-access proofs (PREVAIL's ValidAccess): an access of `width` bytes at `ptr + off` is
 * proven when, for every value the abstract state allows, it lies inside the pointer's region:
 * its stack frame [-frameSize, 0), a data section, the allocated heap block, or the context
 * buffer [0, len). The verdict is one of:
 *   proven     the JIT may drop the runtime check
 *   unproven   some values may fall outside: strict rejects, checked keeps the runtime check
 *   definite   every value falls outside (or it is a handle): rejected under both policies
 */
import type { ReasonCode } from './types.js';
import { formatNum, formatScalar, type Scalar } from './scalar.js';
import type { PtrValue, State, Value } from './state.js';

export interface Section {
  name: string;
  size: number;
  writable: boolean;
}

export interface Verdict {
  kind: 'proven' | 'unproven' | 'definite';
  code?: ReasonCode;
  why?: string;
}

export const PROVEN: Verdict = { kind: 'proven' };

export interface MemEnv {
  frameSize: number;
  sections: Section[];
}

function regionName(p: PtrValue, env: MemEnv): string {
  switch (p.region) {
    case 'stack': return 'the stack frame';
    case 'data': return `section ${env.sections[p.index]?.name ?? p.index}`;
    case 'heap': return `a heap block of ${p.size} bytes`;
    case 'ctx': return 'the context buffer';
  }
}

/** Byte range [lo, hi + width) the access may touch, relative to the region's start (stack: to r10). */
function span(off: Scalar, extra: number): [bigint, bigint] {
  return [off.smin + BigInt(extra), off.smax + BigInt(extra)];
}

/**
 * Checks `width` bytes (a constant, or a length range for helper arguments: [minLen, maxLen])
 * at ptr + extra. `write`: stores must target writable memory.
 */
export function checkRegion(st: State, p: PtrValue, extra: number, minLen: bigint, maxLen: bigint, write: boolean, env: MemEnv): Verdict {
  const [lo, hi] = span(p.off, extra);
  const where = (): string => `offset ${lo === hi ? lo : `[${formatNum(lo)}, ${formatNum(hi)}]`} size ${minLen === maxLen ? minLen : `[${formatNum(minLen)}, ${formatNum(maxLen)}]`} in ${regionName(p, env)}`;
  if (p.region === 'data' && write && !env.sections[p.index]?.writable) {
    return { kind: 'definite', code: 'READ_ONLY', why: `write into read-only ${regionName(p, env)}` };
  }
  let start: bigint;
  let size: bigint;
  switch (p.region) {
    case 'stack':
      start = -BigInt(env.frameSize);
      size = BigInt(env.frameSize);
      break;
    case 'data':
      start = 0n;
      size = BigInt(env.sections[p.index]?.size ?? 0);
      break;
    case 'heap':
      start = 0n;
      size = p.size;
      break;
    case 'ctx': {
      // The length is only known as a range; the relation off <= len - slack proves the rest.
      if (lo < 0n) return lo + maxLen <= 0n && hi < 0n ? { kind: 'definite', code: 'OUT_OF_BOUNDS', why: `${where()}: below its start` } : { kind: 'unproven', code: 'OUT_OF_BOUNDS', why: `${where()}: may be below its start` };
      if (hi + maxLen <= st.ctxLen.umin) return PROVEN;
      if (p.offSlack !== null && p.offSlack - BigInt(extra) >= maxLen && p.off.smin >= 0n) return PROVEN;
      if (lo + minLen > st.ctxLen.umax) return { kind: 'definite', code: 'OUT_OF_BOUNDS', why: `${where()}: past its end (length ${formatScalar(st.ctxLen)})` };
      return { kind: 'unproven', code: 'OUT_OF_BOUNDS', why: `${where()}: may pass its end (length ${formatScalar(st.ctxLen)}, not compared with the offset)` };
    }
  }
  const end = start + size;
  if (lo >= start && hi + maxLen <= end) return PROVEN;
  // Definitely out: no allowed offset keeps even the smallest access inside.
  if (hi < start || lo + minLen > end) {
    if (p.region === 'heap' && lo >= 0n) {
      // The block may be larger than what we know of it (a runtime size).
      return { kind: 'unproven', code: 'OUT_OF_BOUNDS', why: `${where()}: past the bytes known to be allocated` };
    }
    if (p.region === 'stack' && hi < start) {
      return { kind: 'definite', code: 'STACK_FRAME', why: `${where()}: the stack frame has ${env.frameSize} bytes, [${start}, 0)` };
    }
    return { kind: 'definite', code: 'OUT_OF_BOUNDS', why: `${where()}: outside [${start}, ${end})` };
  }
  return { kind: 'unproven', code: 'OUT_OF_BOUNDS', why: `${where()}: may leave [${start}, ${end})` };
}

/** The base of a load or store: what it is decides the verdict before any bounds. */
export function checkBase(base: Value): Verdict | PtrValue {
  switch (base.k) {
    case 'uninit': return { kind: 'definite', code: 'UNINIT_REG', why: 'base register is uninitialized' };
    case 'handle': return { kind: 'definite', code: 'HANDLE_DEREF', why: `dereference of an opaque ${base.what} handle` };
    case 'scalar':
      if (base.s.umax < 0x1000n) return { kind: 'definite', code: 'NULL_DEREF', why: `dereference of the number ${formatScalar(base.s)} (NULL page)` };
      return { kind: 'unproven', code: 'SCALAR_DEREF', why: `dereference of a number (${formatScalar(base.s)}), not a known pointer` };
    case 'ptr':
      if (base.nullable) return { kind: 'unproven', code: 'NULL_DEREF', why: 'pointer may be NULL (no check since the allocation)' };
      return base;
  }
}
