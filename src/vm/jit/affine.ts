/**
 * Affine forms of register values inside one loop iteration, for loop versioning
 * (versioning.ts): a value is `Σ c[r] · r₀ + c[T] · t + c[K]` modulo 2^64, where r₀ is register r
 * at the loop's entry and t the number of completed iterations.
 *
 * eBPF's 64-bit add, sub, mul and left shift are ring operations modulo 2^64 (RFC 9669 §4.1), so
 * a form built from them is exact whatever wraps; a form only says nothing about the true
 * integer. The coefficients are kept small (below 2^32, factors below 2^16), so the JavaScript
 * numbers holding them stay exact integers; anything else (32-bit operations, which truncate,
 * loads, divisions, bitwise operations) makes the value unknown.
 */
import { ALU_ADD, ALU_LSH, ALU_MOV, ALU_MUL, ALU_SUB, writtenRegister, type Insn, type OpInfo } from '../isa.js';

/** Index of the iteration count's coefficient and of the constant. */
export const T = 11;
export const K = 12;
const WIDTH = 13;

/** Plain arrays: typed ones cost far more to allocate, and translation makes many small forms. */
export type Form = number[];

function zero(): Form {
  return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
}

/** Coefficients and constants beyond this are given up on (products then stay below 2^53). */
const BOUND = 2 ** 32;
const FACTOR = 2 ** 16;

export function constant(k: number): Form {
  const f = zero();
  f[K] = k;
  return f;
}

/** Register r's own entry value, plus `step` per completed iteration. */
export function register(r: number, step: number): Form {
  const f = zero();
  f[r] = 1;
  f[T] = step;
  return f;
}

function bounded(f: Form): Form | undefined {
  for (let i = 0; i < WIDTH; i++) if (!(Math.abs(f[i]!) <= BOUND)) return undefined;
  return f;
}

function combine(a: Form, b: Form, sign: number): Form | undefined {
  const f = zero();
  for (let i = 0; i < WIDTH; i++) f[i] = a[i]! + sign * b[i]!;
  return bounded(f);
}

function scale(a: Form, by: number): Form | undefined {
  if (!(Math.abs(by) <= FACTOR)) return undefined;
  const f = zero();
  for (let i = 0; i < WIDTH; i++) f[i] = a[i]! * by + 0; // + 0: no -0 in comparisons
  return bounded(f);
}

export function sameForm(a: Form | undefined, b: Form | undefined): boolean {
  if (!a || !b) return a === b;
  for (let i = 0; i < WIDTH; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether only the constant and the iteration count appear (no register). */
export function registerFree(f: Form): boolean {
  for (let r = 0; r <= 10; r++) if (f[r] !== 0) return false;
  return true;
}

/**
 * Applies one instruction to the forms of r0..r10. Stores, jumps and exits change no register;
 * a call must not reach here (versioning.ts skips loops with calls).
 */
export function stepForms(i: Insn, op: OpInfo, regs: (Form | undefined)[]): void {
  if (op.kind === 'alu' && !op.is32) {
    const code = i.opcode & 0xf0;
    const d = regs[i.dst];
    // The immediate is sign-extended to 64 bits (RFC 9669 §4.1).
    const src = op.srcReg ? regs[i.src] : constant(i.imm);
    let v: Form | undefined;
    if (code === ALU_MOV) v = i.off === 0 ? src : undefined; // forms are never changed in place
    else if (code === ALU_ADD || code === ALU_SUB) v = d && src ? combine(d, src, code === ALU_ADD ? 1 : -1) : undefined;
    else if (code === ALU_MUL) v = d && !op.srcReg ? scale(d, i.imm) : undefined;
    // Shift counts are masked to 6 bits; a left shift by s is a product by 2^s modulo 2^64.
    else if (code === ALU_LSH) v = d && !op.srcReg ? scale(d, 2 ** (i.imm & 63)) : undefined;
    regs[i.dst] = v;
    return;
  }
  if (op.kind === 'neg' && !op.is32) {
    const d = regs[i.dst];
    regs[i.dst] = d ? scale(d, -1) : undefined;
    return;
  }
  const w = writtenRegister(i, op);
  if (w >= 0) regs[w] = undefined;
  // A cmpxchg writes r0 and a fetch form src; writtenRegister names one of them.
  if (op.kind === 'atomic') {
    regs[0] = undefined;
    regs[i.src] = undefined;
  }
}
