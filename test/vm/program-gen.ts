/**
 * Random valid eBPF programs for differential testing of the two engines (test/vm/jit-fuzz.test.ts
 * and tools/fuzz-vm.ts): every opcode class, bounded counter loops and arbitrary forward and
 * backward jumps (so irreducible graphs too), loads, stores and atomics inside and outside the
 * regions, local calls (recursion included, so the depth limit is hit) and helper calls (that
 * charge fuel, fail, or touch memory). Fuel is often small, so runs also end in exhaustion.
 *
 * `differential` runs one case on both engines and returns a description of the first
 * difference in r0, instruction count, error code and message, the granted buffer or the stack.
 */
import { ATOMIC_OPS, OPCODES, encodeInsn, type Insn, type OpInfo } from '../../src/vm/isa.js';
import { ExecError, HelperFault, VmError } from '../../src/vm/errors.js';
import { Vm, type Engine } from '../../src/vm/vm.js';
import { programProofs, type JitProofs } from '../../src/vm/jit/proofs.js';
import { rawImage } from '../../src/vm/program.js';
import { verifyProgram } from '../../src/vm/verifier/index.js';
import type { HelperSignature } from '../../src/vm/verifier/types.js';
import { rng } from '../quic/tls/x509/mutator.js';

export interface Case {
  code: Uint8Array;
  mem: Uint8Array;
  fuel: number;
}

interface Slot {
  insn: Insn;
  /** Jump target: slot index within the same function. */
  jump?: number;
  /** Local call: function index. */
  call?: number;
  /** Second half of an lddw. */
  tail?: boolean;
}

const IMMS = [0, 1, -1, 2, 3, 7, 8, 15, 16, 31, 32, 33, 63, 64, 255, 0x7fff, -0x8000, 0x7fffffff, -0x80000000];
const ALU_OPS: OpInfo[] = [...OPCODES.values()].filter((o) => o.kind === 'alu' || o.kind === 'neg' || o.kind === 'end');
const JCOND_OPS: OpInfo[] = [...OPCODES.values()].filter((o) => o.kind === 'jcond');
const LDX_OPS: OpInfo[] = [...OPCODES.values()].filter((o) => o.kind === 'ldx' || o.kind === 'ldxs');
const ST_OPS: OpInfo[] = [...OPCODES.values()].filter((o) => o.kind === 'st' || o.kind === 'stx');
const ATOMIC_OPCODES: OpInfo[] = [...OPCODES.values()].filter((o) => o.kind === 'atomic');
const ATOMIC_IMMS = [...ATOMIC_OPS.keys()];
/** Registers random arithmetic may write: r6 (grant), r7 (loop counter) and r9 (heap) stay pointers. */
const SCRATCH = [0, 1, 2, 3, 4, 5, 8];

export const HEAP_SIZE = 64;
/** Heap start relative to r10 at entry: the stack (9 frames of 512) is followed by the heap, 4 KiB aligned. */
const HEAP_FROM_FP = 8192 - 9 * 512;

/**
 * `verifiable`: programs the verifier (ctx mem, checked) accepts often enough to test the JIT's
 * use of its proofs: every register and the top STACK_INIT bytes of each frame written first,
 * r1..r5 written again after every call, r9 a stack pointer instead of the heap (the verifier
 * refuses the heap reached through r10), no callx, stack accesses in the written bytes, and
 * grant accesses often guarded by a comparison with the length (spilled at r10 - 8), which is
 * what lets the verifier prove them.
 */
export interface GenOptions {
  verifiable?: boolean;
}

const STACK_INIT = 128;

export function genCase(seed: number, opts: GenOptions = {}): Case {
  const v = opts.verifiable === true;
  const r = rng(seed);
  const int = (n: number): number => Math.floor(r() * n);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;
  const imm = (): number => (r() < 0.7 ? pick(IMMS) : (r() * 4294967296) | 0);
  const reg = (): number => (r() < 0.9 ? pick(SCRATCH) : int(10));
  const src = (): number => int(11);
  const memLen = r() < 0.15 ? 0 : int(64);
  const nf = 1 + int(3);
  const fns: Slot[][] = [];
  for (let f = 0; f < nf; f++) {
    const s: Slot[] = [];
    const put = (opcode: number, dst = 0, srcReg = 0, off = 0, im = 0, extra: Partial<Slot> = {}): void => {
      s.push({ insn: { opcode, dst, src: srcReg, off, imm: im }, ...extra });
    };
    // Only r0 is seen after exit: fold every register into it, so that any wrong value shows.
    const exit = (): void => {
      for (let k = 1; k <= 9; k++) {
        put(0x27, 0, 0, 0, 0x9e3779b1 | 0);
        put(0x0f, 0, k);
      }
      put(0x95);
    };
    const afterCall = (): void => {
      if (v) for (let k = 1; k <= 5; k++) put(0xb7, k, 0, 0, imm());
    };
    if (v) {
      for (let k = 0; k < STACK_INIT; k += 8) put(0x7a, 10, 0, -8 - k, 0);
      for (const k of f === 0 ? [0, 3, 4, 5, 7, 8] : [0, 7, 8]) put(0xb7, k, 0, 0, imm());
      if (f === 0) {
        put(0xbf, 6, 1); // r6 = grant
        put(0x7b, 10, 2, -8); // the length, for the guards below
      } else {
        put(0xbf, 6, 10); // no grant in a callee: one more stack pointer
        put(0x07, 6, 0, 0, -64);
      }
      put(0xbf, 9, 10); // r9 = the stack, where other programs have the heap
      put(0x07, 9, 0, 0, -STACK_INIT);
    } else if (f === 0) {
      put(0xbf, 6, 1); // r6 = grant
      put(0xbf, 9, 10); // r9 = heap
      put(0x07, 9, 0, 0, HEAP_FROM_FP);
    }
    // Often a walk loop first, where no earlier exit or jump can strand it.
    if (!v && r() < 0.4) walkLoop(r, put, s);
    let loopStart = -1;
    const items = 3 + int(30);
    for (let k = 0; k < items; k++) {
      const what = r();
      if (what < 0.3) {
        const o = pick(ALU_OPS);
        let off = 0;
        let im = imm();
        if (o.kind === 'end') im = pick([16, 32, 64]);
        if (o.kind === 'neg') im = 0;
        const code = o.opcode & 0xf0;
        if (o.kind === 'alu' && (code === 0x30 || code === 0x90)) off = int(2);
        if (o.kind === 'alu' && code === 0xb0 && o.srcReg) off = pick(o.is32 ? [0, 8, 16] : [0, 8, 16, 32]);
        put(o.opcode, reg(), o.srcReg ? src() : 0, off, o.srcReg || o.kind === 'neg' ? 0 : im);
      } else if (what < 0.36) {
        const v = BigInt.asUintN(64, (BigInt(imm()) << 32n) | BigInt(imm() >>> 0));
        put(0x18, reg(), 0, 0, Number(v & 0xffffffffn) | 0);
        s.push({ insn: { opcode: 0, dst: 0, src: 0, off: 0, imm: Number(v >> 32n) | 0 }, tail: true });
      } else if (what < 0.56) {
        const o = r() < 0.5 ? pick(LDX_OPS) : r() < 0.8 ? pick(ST_OPS) : pick(ATOMIC_OPCODES);
        const [base, off] = v ? verifiableAddress(r, memLen, o.size!) : address(r, memLen, o.size!);
        if (v && base === 6 && off >= 0 && r() < 0.7) {
          // if (len < off + size) skip the access
          put(0x79, 3, 10, -8);
          put(0xa5, 3, 0, 0, off + o.size!, { jump: s.length + 2 });
        }
        if (o.kind === 'ldx' || o.kind === 'ldxs') put(o.opcode, reg(), base, off);
        else if (o.kind === 'st') put(o.opcode, base, 0, off, imm());
        else if (o.kind === 'stx') put(o.opcode, base, src(), off);
        else put(o.opcode, base, reg(), off, pick(ATOMIC_IMMS));
      } else if (what < 0.6) {
        // A stack table indexed by a masked value (ranges.ts proves some of these in the frame).
        const ptr = pick([2, 3, 4, 5, 8]);
        const idx = pick([0, 1, 2, 3, 4, 5, 8].filter((x) => x !== ptr));
        put(0xbf, ptr, 10);
        put(0x07, ptr, 0, 0, -(8 + int(600)));
        // Arithmetic on the index before and after the mask, so the range analysis sees every operation.
        for (let n = int(3); n > 0; n--) {
          const o = pick(ALU_OPS.filter((x) => x.kind === 'alu' && !x.srcReg));
          const code = o.opcode & 0xf0;
          if (code === 0x30 || code === 0x90 || code === 0xb0) continue;
          put(o.opcode, idx, 0, 0, imm());
        }
        put(r() < 0.5 ? 0x57 : 0x54, idx, 0, 0, pick([7, 15, 63, 255, 511]));
        if (r() < 0.5) put(pick([0x67, 0x64, 0x77, 0x74]), idx, 0, 0, int(40));
        put(0x0f, ptr, idx);
        const o = r() < 0.5 ? pick(LDX_OPS) : pick(ST_OPS);
        const off = int(16) - 8;
        if (o.kind === 'ldx' || o.kind === 'ldxs') put(o.opcode, reg(), ptr, off);
        else if (o.kind === 'st') put(o.opcode, ptr, 0, off, imm());
        else put(o.opcode, ptr, src(), off);
      } else if (what < 0.7) {
        // A conditional jump anywhere in the function (resolved below); backward ones make loops.
        const o = pick(JCOND_OPS);
        put(o.opcode, int(11), o.srcReg ? src() : 0, 0, o.srcReg ? 0 : imm(), { jump: -1 });
      } else if (what < 0.74) {
        // (verifiable: code after an unconditional jump may be unreachable, which is refused)
        if (!v) put(r() < 0.8 ? 0x05 : 0x06, 0, 0, 0, 0, { jump: -1 });
      } else if (what < 0.8) {
        if (loopStart < 0) {
          put(0xb7, 7, 0, 0, 1 + int(6));
          loopStart = s.length;
        } else {
          put(0x07, 7, 0, 0, -1);
          put(0x55, 7, 0, 0, 0, { jump: loopStart });
          loopStart = -1;
        }
      } else if (what < 0.88) {
        const id = 1 + int(4);
        if (r() < 0.8 || v) put(0x85, 0, 0, 0, id);
        else {
          put(0xb7, 8, 0, 0, id);
          put(0x8d, 8);
        }
        afterCall();
      } else if (what < 0.93 && nf > 1) {
        // verifiable: no recursion (refused), so calls go to later functions only
        if (!v) put(0x85, 0, 1, 0, 0, { call: int(nf) });
        else if (f + 1 < nf) {
          // Sometimes a pointer into this frame for the callee (r1), which it may use as a base.
          if (r() < 0.5) {
            put(0xbf, 1, 10);
            put(0x07, 1, 0, 0, -8 * (1 + int(STACK_INIT / 8)));
          }
          put(0x85, 0, 1, 0, 0, { call: f + 1 + int(nf - f - 1) });
        }
        afterCall();
      } else if (what < 0.94) {
        if (!v) exit();
      } else if (!v && what >= 0.955) {
        walkLoop(r, put, s);
      } else if (v && r() < 0.5) {
        // A pointer spilled to the stack and reloaded, then used: the verifier tracks spilled
        // values, and must forget them when an unproven store may have overwritten them.
        const slot = -8 * (2 + int(14));
        const to = pick([4, 5]);
        put(0x7b, 10, pick([6, 9, 10]), slot);
        if (r() < 0.3) put(0x7a, pick([3, 8]), 0, int(16) - 8, imm()); // a store through a number
        put(0x79, to, 10, slot);
        const o = r() < 0.5 ? pick(LDX_OPS) : pick(ST_OPS);
        const off = -(o.size! + int(16));
        if (o.kind === 'ldx' || o.kind === 'ldxs') put(o.opcode, reg(), to, off);
        else if (o.kind === 'st') put(o.opcode, to, 0, off, imm());
        else put(o.opcode, to, src(), off);
      } else {
        put(0xbf, reg(), src());
      }
    }
    if (loopStart >= 0) {
      put(0x07, 7, 0, 0, -1);
      put(0x55, 7, 0, 0, 0, { jump: loopStart });
    }
    if (v && f + 1 < nf) {
      // Every function called (a function nothing calls is unreachable code, which is refused).
      put(0x85, 0, 1, 0, 0, { call: f + 1 });
      afterCall();
    }
    exit();
    // Resolve free jumps to random instruction starts of this function, never to themselves.
    const starts = s.map((x, i) => (x.tail ? -1 : i)).filter((i) => i >= 0);
    s.forEach((x, i) => {
      if (x.jump !== -1) return;
      // verifiable: forward only (backward ones may loop forever or strand code)
      const from = v ? starts.filter((t) => t > i) : starts;
      let t = pick(from);
      if (t === i) t = s.length - 1;
      x.jump = t;
    });
    fns.push(s);
  }
  const base: number[] = [];
  let n = 0;
  for (const s of fns) {
    base.push(n);
    n += s.length;
  }
  const code = new Uint8Array(n * 8);
  fns.forEach((s, f) => {
    s.forEach((x, i) => {
      const pc = base[f]! + i;
      const insn = { ...x.insn };
      if (x.jump !== undefined) {
        const rel = base[f]! + x.jump - pc - 1;
        if (insn.opcode === 0x06) insn.imm = rel;
        else insn.off = rel;
      }
      if (x.call !== undefined) insn.imm = base[x.call]! - pc - 1;
      encodeInsn(insn, code, pc);
    });
  });
  const mem = new Uint8Array(memLen);
  for (let i = 0; i < memLen; i++) mem[i] = int(256);
  const fuel = v ? pick([60, 200, 1000, 100_000, 100_000]) : pick([5, 20, 60, 200, 1000, 100_000]);
  return { code, mem, fuel };
}

type Put = (opcode: number, dst?: number, srcReg?: number, off?: number, im?: number, extra?: Partial<Slot>) => void;

/** Stay relations a counter stepping up (or down) ends on, as jump operation codes (RFC 9669 §4.3). */
const UP_JUMPS = [0xa0, 0xb0, 0x50, 0xc0, 0xd0]; // jlt, jle, jne, jslt, jsle
const DOWN_JUMPS = [0x20, 0x30, 0x50, 0x60, 0x70]; // jgt, jge, jne, jsgt, jsge

/**
 * A loop walking a pointer by a constant stride while a counter steps towards a bound, the shape
 * the JIT versions (src/vm/jit/versioning.ts): accesses at the pointer, sometimes an early exit
 * on a loaded byte, the exit test at the bottom (do-while) or at the top (while). Bounds are often
 * off by a little (strides that do not divide the distance, walks past the region), counters
 * sometimes start near 2^64 or count in 32 bits, and fuel often runs out inside.
 */
function walkLoop(r: () => number, put: Put, s: Slot[]): void {
  const int = (n: number): number => Math.floor(r() * n);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;
  const p = pick([2, 3, 4, 5, 8]);
  const regs = [0, 1, 2, 3, 4, 5, 8].filter((x) => x !== p);
  const c = pick(regs);
  const other = regs.filter((x) => x !== c);
  const base = pick([6, 6, 9, 9, 10, 1]);
  put(0xbf, p, base);
  put(0x07, p, 0, 0, base === 10 ? -(8 + int(64)) : int(24) - 4);
  const stride = pick([1, 2, 4, 8, 8, -1, -4, -8, 3, 12, 0]);
  const wide = r() < 0.85; // else a 32-bit counter: add32 and jmp32
  const step = pick([1, 1, 1, -1, -1, 2, 3, -2]);
  const trips = int(14);
  const start = pick([0, 0, 1, 5, -3, 0x7ffffff0, int(40)]);
  const limit = (start + step * trips + pick([0, 0, 0, 1, -1, 2])) | 0;
  put(0xb7, c, 0, 0, start);
  // The bound in a register (loop-invariant) or as the jump's immediate.
  let bound = -1;
  if (r() < 0.5 && other.length > 0) {
    bound = pick(other);
    put(0xb7, bound, 0, 0, limit);
  }
  const jcls = wide ? 0x05 : 0x06;
  const jump = (code: number, target: number): void => {
    if (bound >= 0) put(code | 0x08 | jcls, c, bound, 0, 0, { jump: target });
    else put(code | jcls, c, 0, 0, limit, { jump: target });
  };
  const top = s.length;
  const atTop = r() < 0.3;
  const exits: Slot[] = [];
  if (atTop) {
    jump(pick(step > 0 ? DOWN_JUMPS : UP_JUMPS), -2);
    exits.push(s[s.length - 1]!);
  }
  for (let n = 1 + int(3); n > 0; n--) {
    const o = r() < 0.5 ? pick(LDX_OPS) : r() < 0.85 ? pick(ST_OPS) : pick(ATOMIC_OPCODES);
    const off = int(16) - 8;
    const val = pick(other.length > 0 ? other : [0]);
    if (o.kind === 'ldx' || o.kind === 'ldxs') put(o.opcode, val === bound ? 0 : val, p, off);
    else if (o.kind === 'st') put(o.opcode, p, 0, off, int(256));
    else if (o.kind === 'stx') put(o.opcode, p, val, off);
    else put(o.opcode, p, val === bound ? 0 : val, off, pick(ATOMIC_IMMS));
    if (r() < 0.2) {
      // An early exit on data: the loop may stop before the bound says.
      put(0x71, 0, p, int(8));
      put(0x15, 0, 0, 0, int(256), { jump: -2 });
      exits.push(s[s.length - 1]!);
    }
  }
  // Rarely, something that is not an affine step on the pointer.
  if (r() < 0.05) put(pick([0xa7, 0x57, 0x04]), p, 0, 0, int(8));
  put(0x07, p, 0, 0, stride);
  put(wide ? 0x07 : 0x04, c, 0, 0, step);
  if (atTop) put(0x05, 0, 0, 0, 0, { jump: top });
  else jump(r() < 0.85 ? pick(step > 0 ? UP_JUMPS : DOWN_JUMPS) : pick(JCOND_OPS).opcode & 0xf0, top);
  for (const x of exits) x.jump = s.length;
}

/** A base register and offset: mostly inside the stack, grant or heap, sometimes just outside. */
function address(r: () => number, memLen: number, size: number): [number, number] {
  const int = (n: number): number => Math.floor(r() * n);
  const w = r();
  if (w < 0.45) return [10, -(size + int(512 + 16 - size)) + (r() < 0.05 ? 16 : 0)];
  if (w < 0.75) return [6, int(memLen + 8) - 4];
  if (w < 0.97) return [9, int(HEAP_SIZE + 8) - 4];
  return [int(11), int(64) - 32];
}

/** verifiable: the stack inside its written bytes, the grant, the stack through r9; rarely anything. */
function verifiableAddress(r: () => number, memLen: number, size: number): [number, number] {
  const int = (n: number): number => Math.floor(r() * n);
  const w = r();
  if (w < 0.4) return [10, -(size + int(STACK_INIT + 1 - size))];
  if (w < 0.8) return [6, int(memLen + 8) - 4];
  if (w < 0.9) return [9, int(STACK_INIT + 1 - size)];
  // r1: the grant in the first function, a pointer into the caller's frame in a callee, or a number
  if (w < 0.97) return [1, int(8)];
  return [int(11), int(64) - 32];
}

/** What the verifier knows of those helpers (poke writes 4 bytes at r1). */
export const HELPER_SIGNATURES: ReadonlyMap<number, HelperSignature> = new Map([
  [1, { name: 'mix', args: [{ kind: 'scalar' }, { kind: 'scalar' }], ret: { kind: 'scalar' } }],
  [2, { name: 'charge', args: [{ kind: 'scalar' }, { kind: 'scalar' }], ret: { kind: 'scalar' } }],
  [3, { name: 'fail', args: [{ kind: 'scalar' }], ret: { kind: 'scalar' } }],
  [4, { name: 'poke', args: [{ kind: 'mem', access: 'write', size: 4 }], ret: { kind: 'scalar' } }],
] satisfies [number, HelperSignature][]);

/** The helpers both engines get: pure, fuel-charging, failing, and memory-touching ones. */
function registerHelpers(vm: Vm): void {
  vm.registerHelper(1, 'mix', (c) => (c.u64(1) * 31n) ^ c.u64(2));
  vm.registerHelper(2, 'charge', (c) => {
    c.charge(c.u32(1) & 31);
    return c.u32(2) + 1;
  });
  vm.registerHelper(3, 'fail', (c) => {
    if ((c.u32(1) & 15) === 0) throw new HelperFault('helper refused');
    return -1;
  });
  vm.registerHelper(4, 'poke', (c) => {
    const b = c.bytes(c.u64(1), 4, true);
    b[0] = (b[0]! + 1) & 0xff;
    return b[3]!;
  });
}

export interface Outcome {
  r0?: bigint;
  instructions?: number;
  error?: string;
  mem: Uint8Array;
  stack: Uint8Array;
  heap: Uint8Array;
}

export function runCase(c: Case, engine: Engine, proofs?: JitProofs): Outcome {
  const vm = new Vm({ engine, heapSize: HEAP_SIZE });
  registerHelpers(vm);
  const mem = c.mem.slice();
  let out: Omit<Outcome, 'stack' | 'heap'>;
  try {
    vm.load(c.code, proofs ? { proofs } : {});
  } catch (e) {
    if (!(e instanceof VmError)) throw e;
    return { error: `load: ${e.message}`, mem, stack: new Uint8Array(0), heap: new Uint8Array(0) };
  }
  try {
    const r = vm.exec({ mem, fuel: c.fuel });
    out = { r0: r.r0, instructions: r.instructions, mem };
  } catch (e) {
    if (!(e instanceof ExecError)) throw e;
    out = { error: `${e.code}: ${e.message}`, mem };
  }
  const u8 = new Uint8Array(vm.memory.buffer);
  const { stack, heap } = vm.layout;
  return { ...out, stack: u8.slice(stack.start, stack.start + stack.size), heap: u8.slice(heap!.start, heap!.start + heap!.size) };
}

/** Runs a case on both engines; undefined when they agree, else what differs. */
export function differential(c: Case): string | undefined {
  return compare(runCase(c, 'interpreter'), runCase(c, 'jit'));
}

/**
 * The verifier (ctx mem, checked) judges the case; when it accepts, the JIT compiled with its
 * proofs must agree with the interpreter. `proven`: the accesses whose check the JIT dropped.
 */
export function differentialWithProofs(c: Case): { accepted: boolean; proven: number; diff?: string } {
  const v = verifyProgram(rawImage(c.code), { ctx: 'mem', policy: 'checked', helper: (id) => HELPER_SIGNATURES.get(id) });
  const proofs = programProofs(v);
  if (!v.ok) return { accepted: false, proven: 0 };
  const diff = compare(runCase(c, 'interpreter'), runCase(c, 'jit', proofs ? [proofs] : undefined));
  return { accepted: true, proven: v.provenAccesses.size, ...(diff ? { diff } : {}) };
}

function compare(a: Outcome, b: Outcome): string | undefined {
  if (a.error !== b.error) return `error: interpreter ${a.error ?? 'none'}, jit ${b.error ?? 'none'}`;
  if (a.r0 !== b.r0) return `r0: interpreter ${a.r0}, jit ${b.r0}`;
  if (a.instructions !== b.instructions) return `instructions: interpreter ${a.instructions}, jit ${b.instructions}`;
  for (const k of ['mem', 'stack', 'heap'] as const) {
    const x = a[k];
    const y = b[k];
    const i = x.findIndex((v, j) => v !== y[j]);
    if (x.length !== y.length || i >= 0) return `${k} differs at byte ${i}: interpreter ${x[i]}, jit ${y[i]}`;
  }
  return undefined;
}
