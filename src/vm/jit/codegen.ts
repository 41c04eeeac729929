/**
 * Translates the instructions of one eBPF function into the body of one WebAssembly function
 * (reference/ebpf.md §6.3), with the interpreter's exact semantics (assembly/interpreter.ts):
 *
 *  - r0..r9 are i64 parameters/locals, r10 (the frame pointer) a parameter; a function receives
 *    every register, because the interpreter lets a callee read the caller's r0 and r6..r9, and
 *    returns r0..r5, because the interpreter leaves the callee's r1..r5 to the caller.
 *  - Fuel lives in a local, charged per segment and checked at checkpoints (fuel.ts). When a
 *    checkpoint finds too little, or a merged region check fails, the function "bails": it stores
 *    the registers, pc and fuel in the status block, each caller stores its call frame in FRAMES,
 *    and the host resumes the interpreter there. So the point of exhaustion or of a fault and
 *    every effect before it are the interpreter's, exactly.
 *  - Every load and store is checked against the region table (layout.ts) like the interpreter:
 *    a compare against the region that last passed a check of its kind, else a scan. Accesses
 *    that ranges.ts proves inside the current frame need no check (all 9 frames are one writable
 *    region); accesses through one unchanged base register share one check (checks.ts). With
 *    the verifier's proofs (proofs.ts), proven accesses have no check either.
 *  - Faults write the status block as the interpreter does and leave through an outer `block`.
 */
import {
  ALU_ADD, ALU_AND, ALU_ARSH, ALU_DIV, ALU_LSH, ALU_MOD, ALU_MOV, ALU_MUL, ALU_OR, ALU_RSH, ALU_SUB, ALU_XOR,
  ATOMIC_CMPXCHG, ATOMIC_FETCH, ATOMIC_XCHG, ATOMIC_ADD, ATOMIC_AND, ATOMIC_OR,
  CALL_LOCAL, JMP_JEQ, JMP_JGE, JMP_JGT, JMP_JLE, JMP_JLT, JMP_JNE, JMP_JSET, JMP_JSGE, JMP_JSGT, JMP_JSLE, JMP_JSLT,
  type Insn, type OpInfo, writtenRegister,
} from '../isa.js';
import {
  FRAME_BYTES, FRAMES, MAX_CALL_DEPTH, REGION_BYTES, REGION_COUNT, REGION_TABLE, REGS, RESULT_DEPTH, RESULT_JIT_BAIL, STATUS, ST_ARG, ST_CODE, ST_DEPTH, ST_FUEL, ST_PC,
} from '../layout.js';
import type { Cfg, DecodedProgram } from './cfg.js';
import { planFuel, type Segment } from './fuel.js';
import { frameSlots } from './slots.js';
import { isAccess, planChecks, type CheckPlan, type MergedCheck } from './checks.js';
import { frameAccesses } from './ranges.js';
import { R0_TO_R5, liveRegisters, type Liveness } from './liveness.js';
import { narrowable, planNarrow, type NarrowPlan } from './narrow.js';
import { versionLoops, type LoopGuard } from './versioning.js';
import { K, type Form } from './affine.js';
import type { CheckStats } from './compile.js';
import { stackify, open, close, type BlockEmitter, type Label } from './stackify.js';
import { Code, I32, I64, Op, type ValType } from './wasm.js';

/** Function indices of the module's fixed functions (compile.ts lays them out). */
export const F_HELPER = 0; // import env.helper(id, pc) -> rc
export const F_OOB = 1; // (pc, addr, size, write, fuel): writes an OUT_OF_BOUNDS status
export const F_FAULT = 2; // (code, pc, fuel): writes a fault status
export const F_CLEAR = 3; // (): forgets the cached regions (clearRegionCache)

/** Locals: parameters r0..r9 and fp, then these. */
const L_FP = 10;
const L_FUEL = 11;
const L_ADDR = 12;
const L_OLD = 13;
const L_E = 14; // i32
const L_X = 15; // i32
const L_BAILPC = 16; // i32
const L_LABEL = 17; // i32
const L_DIFF = 18; // i64
/** Loop guards (versioning.ts): the last iteration that can start, and a range's bounds. */
const L_TRIP = 19; // i64
const L_LO = 20; // i64
const L_HI = 21; // i64
/**
 * r0..r9 and r10. The call depth is not a parameter: it lives in the status block (ST_DEPTH),
 * where the interpreter wants it after a hand-over, and so takes no register in hot loops.
 */
export const PARAMS: ValType[] = [I64, I64, I64, I64, I64, I64, I64, I64, I64, I64, I64];
export const RESULTS: ValType[] = [I64, I64, I64, I64, I64, I64];
const FIXED_LOCALS: ValType[] = [I64, I64, I64, I32, I32, I32, I32, I64, I64, I64, I64];

/**
 * The region that last passed a check of each kind (read or write, size 1/2/4/8): its (lo,
 * limit) as two u64 at REGION_CACHE + 16 * kind. Below REGS: the core's own area, never part of
 * a region and used by nothing else. In memory rather than in locals: a loop then holds no
 * register for them, where V8 otherwise spilled its hot values (docs/BENCHMARKS.md "JIT").
 * A zero limit makes a check scan. Every JIT entry zeroes the limits (compile.ts), and so does
 * every helper call, after which a nested exec may have left regions of another table there; between
 * those, every value written is a region of the running exec's table, which never changes
 * under it (a helper's nested exec rebuilds it and restores it before returning).
 */
export const REGION_CACHE = 0x80;
export const REGION_CACHE_BYTES = 128;

/**
 * The body of F_CLEAR: zeroes the cached limits, so the next check of each kind scans (`addr - lo
 * >= 0` always holds). A function, called where needed, keeps each call site at two bytes.
 */
export function clearRegionCache(c: Code): void {
  for (let o = 8; o < REGION_CACHE_BYTES; o += 16) c.i32Const(0).i64Const(0).mem(Op.i64_store, 3, REGION_CACHE + o);
}

const REGION_LIMITS_READ = 8;
const REGION_LIMITS_WRITE = 40;
const SIZE_INDEX: Record<number, number> = { 1: 0, 2: 1, 4: 2, 8: 3 };

export interface FunctionContext {
  prog: DecodedProgram;
  /** Record index of the program's slot 0 (pcs in the status block are absolute). */
  base: number;
  frameSize: number;
  /** r10 at depth 0: the end of the stack region. */
  stackTop: number;
  /**
   * The lowest address any region can start at (the stack's start: the data sections, heap and
   * granted buffers lie above it, docs/ARCHITECTURE.md "Memory model"); 0 where unknown.
   */
  lowestRegion: number;
  /** Function index of the function that starts at a slot. */
  functionAt(slot: number): number;
  /** Slots whose access the verifier proved inside its region (proofs.ts): no check. */
  proven?: ReadonlySet<number> | undefined;
  /** Counts of the checks emitted and dropped, added to as functions are emitted. */
  stats?: CheckStats;
  /**
   * Whether the function only runs at depth 0 (a program's entry that no local call targets):
   * its r10 is then always `stackTop` (Vm.exec sets it so, nested runs too), and a constant
   * frame pointer lets V8 fold stack addresses into the accesses.
   */
  fixedFrame?: boolean;
}

export class FunctionGen implements BlockEmitter {
  readonly code: Code;
  readonly labels: Label[] = [];
  readonly dispatchLocal = L_LABEL;
  readonly locals: ValType[] = [...FIXED_LOCALS];

  private readonly fuel: Segment[][];
  /** Registers live before each instruction of each block (liveness.ts), for the bails in loops. */
  private readonly live: Liveness | undefined;
  /** The block being emitted. */
  private block = 0;
  /** Whether the access being translated is covered by a merged check. */
  private unchecked = false;
  /** Frame offset -> local of the stack slots kept in locals (slots.ts). */
  private readonly slots = new Map<number, number>();
  /** Webs of registers kept in i32 locals (narrow.ts), and each register's i32 local. */
  private readonly narrow: NarrowPlan | undefined;
  private readonly l32: number[] = [];
  /** At a bail, the registers whose value is in their i32 local (bail()). */
  private readonly maskLocal: number = -1;
  /** Index in the current block of the instruction being emitted (pcs.length: its exit). */
  private pos = 0;
  /** Per register, its value as a constant plus a narrow register's i32 local, in this block. */
  private readonly forms: (AddressForm | undefined)[] = [];
  /** r10's form where it is a constant (FunctionContext.fixedFrame). */
  private readonly frameTop: AddressForm;

  private readonly cfg: Cfg;

  constructor(cfg: Cfg, private readonly ctx: FunctionContext) {
    this.frameTop = { c: ctx.stackTop, r: -1 };
    // Analyses a function cannot use are skipped: the first plugin of a process pays V8's
    // compilation of every translator function it runs (docs/BENCHMARKS.md "Start-up:
    // translation, compilation, instantiation").
    const sh = shape(cfg, ctx.prog.info);
    const loops = (sh & HAS_LOOP) !== 0;
    // Small innermost loops get a copy whose accesses a guard before the loop checks (versioning.ts).
    if (loops) cfg = versionLoops(cfg, ctx.prog, ctx.proven);
    this.cfg = cfg;
    this.fuel = planFuel(cfg, ctx.prog.info);
    // Bails read liveness only inside loops; a function without any (most pluglets) skips it.
    // A function only the host enters shows only r0 at its exit (Vm.exec returns r0).
    this.live = loops ? liveRegisters(cfg, ctx.prog.insns, ctx.prog.info, ctx.fixedFrame ? 1 : R0_TO_R5) : undefined;
    // 32-bit webs only where a loop can make them pay, and only without calls (narrow.ts).
    this.narrow = this.live && (sh & HAS_CALL) === 0 && narrowable(cfg, ctx.prog.info)
      ? planNarrow(cfg, ctx.prog.insns, ctx.prog.info, this.live) : undefined;
    if (this.narrow) {
      this.maskLocal = PARAMS.length + this.locals.length;
      this.locals.push(I32);
      for (let r = 0; r <= 9; r++) {
        if (!(this.narrow.regs & (1 << r))) continue;
        this.l32[r] = PARAMS.length + this.locals.length;
        this.locals.push(I32);
      }
    }
    // Only with a constant r10: the prologue and the exits then address the slots directly.
    // With a call anywhere, a callee or helper may read the frame: frameSlots keeps none then.
    if (ctx.fixedFrame && (sh & HAS_CALL) === 0) {
      const offs = frameSlots(cfg, ctx.prog.insns, ctx.prog.info, ctx.frameSize);
      for (let k = 0; k < offs.length; k++) {
        this.slots.set(offs[k]!, PARAMS.length + this.locals.length);
        this.locals.push(I64);
      }
    }
    // About 30 bytes of Wasm per eBPF instruction (docs/BENCHMARKS.md "JIT").
    let insns = 0;
    for (let b = 0; b < cfg.blocks.length; b++) insns += cfg.blocks[b]!.pcs.length;
    this.code = new Code(256 + 48 * insns);
  }

  /**
   * The function body: the structured code inside a bail block inside a fault block, and the
   * prologue that goes before it (built last, as the body decides the locals; encodeModule joins
   * the two, so the body is not copied once more here).
   */
  emit(): { prologue: Code; body: Code } {
    const c = this.code;
    open(this, Op.block, { kind: 'other' }); // fault: leave with dummy results
    open(this, Op.block, { kind: 'other' }); // bail: hand over to the interpreter
    this.labels.length = 0; // depths below count from inside the bail block
    stackify(this.cfg, this);
    c.op(Op.unreachable);
    c.end();
    // Bail: registers, pc and fuel for the interpreter (assembly/interpreter.ts resume()); a
    // register the bailing site had in its i32 local (maskLocal) is stored from there.
    for (let r = 0; r <= 10; r++) {
      c.i32Const(0);
      if (this.l32[r] === undefined) c.get(r);
      else c.get(this.l32[r]!).op(Op.i64_extend_i32_u).get(r).get(this.maskLocal).i32Const(1 << r).op(Op.i32_and).op(Op.select);
      c.mem(Op.i64_store, 3, REGS + 8 * r);
    }
    c.i32Const(0).get(L_BAILPC).mem(Op.i32_store, 2, STATUS + ST_PC);
    c.i32Const(0).get(L_FUEL).mem(Op.i64_store, 3, STATUS + ST_FUEL);
    c.i32Const(0).i32Const(RESULT_JIT_BAIL).mem(Op.i32_store, 2, STATUS + ST_CODE);
    c.end();
    // A fault or a hand-over: the frame in memory as the interpreter would have left it.
    this.flushSlots(c);
    for (let i = 0; i < 6; i++) c.i64Const(0);
    // Prologue: the fuel.
    const out = new Code(32 + 12 * this.slots.size);
    out.i32Const(0).mem(Op.i64_load, 3, STATUS + ST_FUEL).set(L_FUEL);
    // A constant r10: V8 folds the frame's addresses (varint's stack slots, matmul's table).
    if (this.ctx.fixedFrame) out.i64Const(this.ctx.stackTop).set(L_FP);
    // Slots in locals start as memory holds them: a read before any write sees what the interpreter would.
    this.slots.forEach((l, off) => out.i32Const(0).mem(Op.i64_load, 0, this.ctx.stackTop + off).set(l));
    return { prologue: out, body: c };
  }

  /** Stores the slots kept in locals back into the frame (slots.ts). */
  private flushSlots(c: Code): void {
    this.slots.forEach((l, off) => c.i32Const(0).get(l).mem(Op.i64_store, 0, this.ctx.stackTop + off));
  }

  // ---- registers: i64 locals, or i32 locals for narrow webs (narrow.ts) ----

  /** Whether register r's value before instruction k of the current block is in its i32 local. */
  private narrowAt(r: number, k = this.pos): boolean {
    const nw = this.narrow;
    return nw !== undefined && r <= 9 && (nw.use[nw.start[this.block]! + k]! & (1 << r)) !== 0;
  }

  /** Whether the register the current instruction writes goes to its i32 local. */
  private defNarrow(): boolean {
    const nw = this.narrow;
    return nw !== undefined && nw.def[nw.start[this.block]! + this.pos] === 1;
  }

  /** Pushes register r as an i64 (a narrow web's value zero-extended: exact, it is below 2^32). */
  private get64(r: number): void {
    if (this.narrowAt(r)) this.code.get(this.l32[r]!).op(Op.i64_extend_i32_u);
    else this.code.get(r);
  }

  /** Pushes the low 32 bits of register r. */
  private get32(r: number): void {
    if (this.narrowAt(r)) this.code.get(this.l32[r]!);
    else this.code.get(r).op(Op.i32_wrap_i64);
  }

  /** Writes the i64 on the stack to d (wrapped into a narrow web: narrow.ts proved it below 2^32). */
  private set64(d: number): void {
    if (this.defNarrow()) this.code.op(Op.i32_wrap_i64).set(this.l32[d]!);
    else this.code.set(d);
  }

  /** Writes the i32 on the stack, zero-extended as ALU32 results are (RFC 9669 §4.1), to d. */
  private set32(d: number): void {
    if (this.defNarrow()) this.code.set(this.l32[d]!);
    else this.code.op(Op.i64_extend_i32_u).set(d);
  }

  /** d := d, where its old and new webs may live in different locals (a no-op instruction). */
  private keep(d: number): void {
    if (this.narrowAt(d) === this.defNarrow()) return;
    this.get64(d);
    this.set64(d);
  }

  /**
   * Follows register values of the form constant + a narrow register (`r5 = r10; r5 += -64;
   * r5 += r4` with a constant r10), so that an access through one can take the constant as the
   * memory instruction's offset and the narrow local as its index (address()). A form dies when
   * its register, or the register it names, is written.
   */
  private track(i: Insn, op: OpInfo): void {
    const w = writtenRegister(i, op);
    if (w < 0) return;
    const f = this.forms;
    let next: AddressForm | undefined;
    if (op.kind === 'alu' && !op.is32 && i.off === 0) {
      const code = i.opcode & 0xf0;
      const d = f[i.dst];
      if (code === ALU_MOV) {
        if (!op.srcReg) next = { c: i.imm, r: -1 };
        else if (f[i.src]) next = f[i.src];
        else if (i.src !== w && this.narrowAt(i.src)) next = { c: 0, r: i.src };
      } else if ((code === ALU_ADD || code === ALU_SUB) && d) {
        if (!op.srcReg) next = { c: code === ALU_ADD ? d.c + i.imm : d.c - i.imm, r: d.r };
        else if (code === ALU_ADD && d.r < 0 && i.src !== w && this.narrowAt(i.src)) next = { c: d.c, r: i.src };
        else if (code === ALU_ADD && d.r < 0 && f[i.src]?.r === -1) next = { c: d.c + f[i.src]!.c, r: -1 };
      }
    }
    for (let r = 0; r < f.length; r++) if (f[r]?.r === w) f[r] = undefined;
    // Constants stay far below 2^53, where JavaScript numbers are exact.
    f[w] = next && Math.abs(next.c) < 2 ** 40 ? next : undefined;
  }

  /** The local of the 64-bit stack slot at r10 + off, if it lives in one. */
  private slot(base: number, off: number, size: number | undefined): number | undefined {
    return base === 10 && size === 8 ? this.slots.get(off) : undefined;
  }

  // ---- branch depths to the two outer blocks ----

  /**
   * Hands over to the interpreter before instruction `k` of the current block (slot `pc`).
   * Registers dead there are zeroed first: the interpreter never reads them (liveness.ts), and
   * V8 then need not keep their old values alive up to the bail block, which every bail of the
   * function joins; with them alive, it spilled values in the hot loops (insertion_sort, sieve,
   * xor_blocks, matmul: docs/BENCHMARKS.md "JIT"). Only where the bail is inside a loop
   * (`inLoop`): at a function's entry or after a call it would only cost translation time.
   */
  private bail(k: number, pc: number, inLoop = true): void {
    const c = this.code;
    const lv = this.live;
    // Which live registers are in their i32 local here, for the bail block (emit()): a constant
    // per bail rather than conversions, which made V8 stop unrolling insertion_sort's inner loop.
    let narrow = 0;
    if (this.narrow && lv) {
      const live = lv.live[lv.start[this.block]! + k]!;
      for (let r = 0; r <= 9; r++) if (live & (1 << r) && this.narrowAt(r, k)) narrow |= 1 << r;
      c.i32Const(narrow).set(this.maskLocal);
      if (inLoop) for (let r = 0; r <= 9; r++) if (this.l32[r] !== undefined && !(narrow & (1 << r))) c.i32Const(0).set(this.l32[r]!);
    }
    if (inLoop && lv) {
      const live = lv.live[lv.start[this.block]! + k]!;
      for (let r = 0; r <= 9; r++) if (!(live & (1 << r)) || narrow & (1 << r)) c.i64Const(0).set(r);
    }
    c.i32Const(this.abs(pc)).set(L_BAILPC);
    c.br(this.labels.length);
  }

  private brFail(): void {
    this.code.br(this.labels.length + 1);
  }

  private abs(pc: number): number {
    return this.ctx.base + pc;
  }

  // ---- BlockEmitter ----

  body(b: number): void {
    this.block = b;
    const block = this.cfg.blocks[b]!;
    const { insns, info } = this.ctx.prog;
    const segs = this.fuel[b]!;
    // A block without loads or stores (most of a pluglet's blocks) needs no check planning.
    const access = hasAccess(block.pcs, info);
    const frame = access ? frameAccesses(block, insns, info, this.ctx.frameSize) : NO_INDICES;
    // Accesses needing no check at all: in the current frame, or proven by the verifier. Merged
    // groups are formed from the rest only.
    const proven = this.ctx.proven;
    let free: ReadonlySet<number> = frame;
    if (access && ((proven && proven.size > 0) || block.fast)) {
      const both = new Set(frame);
      for (let i = 0; i < block.pcs.length; i++) if (proven?.has(block.pcs[i]!) || block.fast?.has(i)) both.add(i);
      free = both;
    }
    const checks = access ? planChecks(block, segs, insns, info, free) : NO_CHECKS;
    const stats = this.ctx.stats;
    // A loop's fast copy counts apart: the other counts describe the code every run can take.
    if (stats && block.guard) stats.guards++;
    if (stats && block.fast) {
      for (let i = 0; i < block.pcs.length; i++) if (block.fast.has(i) && !frame.has(i)) stats.versioned++;
    } else if (stats && access) {
      for (let i = 0; i < block.pcs.length; i++) {
        if (!isAccess(info[block.pcs[i]!]!)) continue;
        if (frame.has(i)) stats.frame++;
        else if (free.has(i)) stats.proven++;
        else if (checks.covered.has(i)) stats.merged++;
        else stats.checked++;
      }
      stats.groups += checks.merged.size;
    }
    let k = 0;
    if (this.narrow) {
      this.forms.length = 0;
      if (this.ctx.fixedFrame) this.forms[10] = this.frameTop;
    }
    for (let i = 0; i < block.pcs.length; i++) {
      this.pos = i;
      if (k < segs.length && segs[k]!.first === i) this.charge(segs[k++]!);
      const pc = block.pcs[i]!;
      const op = info[pc]!;
      // Only accesses have checks to merge or to drop.
      if (access && isAccess(op)) {
        const m = checks.merged.get(i);
        if (m) this.mergedCheck(i, pc, insns[pc]!, op, m);
        this.unchecked = checks.covered.has(i) || free.has(i);
      }
      this.insn(pc, insns[pc]!, op);
      if (this.narrow) this.track(insns[pc]!, op);
    }
    this.unchecked = false;
    this.pos = block.pcs.length;
    if (k < segs.length) this.charge(segs[k]!);
  }

  condition(b: number): void {
    const block = this.cfg.blocks[b]!;
    this.block = b;
    this.pos = block.pcs.length;
    if (block.guard) return this.loopGuard(block.guard);
    const pc = block.pcs[block.pcs.length - 1]!;
    this.compare(this.ctx.prog.insns[pc]!, this.ctx.prog.info[pc]!);
  }

  leave(b: number): void {
    const ex = this.cfg.blocks[b]!.exit;
    const c = this.code;
    this.block = b;
    this.pos = this.cfg.blocks[b]!.pcs.length;
    if (ex.kind === 'exit') {
      this.flushSlots(c);
      c.i32Const(0).get(L_FUEL).mem(Op.i64_store, 3, STATUS + ST_FUEL);
      // Only the host enters a fixed-frame function, and its export keeps r0 alone (compile.ts):
      // returning r1..r5 would keep their last values alive through every loop before the exit.
      for (let r = 0; r <= 5; r++) {
        if (r > 0 && this.ctx.fixedFrame) c.i64Const(0);
        else this.get64(r);
      }
      c.op(Op.return);
    } else if (ex.kind === 'fault') {
      c.i32Const(ex.code).i32Const(this.abs(ex.pc)).get(L_FUEL).call(F_FAULT);
      this.brFail();
    }
  }

  // ---- fuel ----

  /**
   * A single-block loop (its header is its only latch) checks its fuel on the edges into it
   * (stackify.ts) rather than at its top: on the back edge the registers are the values the next
   * iteration starts with, and the bail reads those instead of the loop's phis at the header.
   * Reading the phis there made V8 keep fnv1a's hash in memory across the loop (2.3x slower).
   * Loops of several blocks keep the check at the header: on their back edges it measured slower
   * (insertion_sort).
   */
  checksOnEdges(b: number): boolean {
    const preds = this.cfg.blocks[b]!.preds;
    const seg = this.fuel[b]![0];
    return preds.some((p) => p >= b) && preds.every((p) => p <= b) && seg !== undefined && seg.first === 0 && seg.check > 0;
  }

  /** The check loop header b would do at its top, on an edge into it. */
  enterLoop(b: number): void {
    const seg = this.fuel[b]![0]!;
    const c = this.code;
    const block = this.block;
    this.block = b;
    c.get(L_FUEL).i64Const(seg.check).op(Op.i64_lt_s);
    open(this, Op.if, { kind: 'other' });
    this.bail(0, seg.pc);
    close(this);
    this.block = block;
  }

  /** Charges a segment; at a checkpoint, first bails to the interpreter if too little is left (fuel.ts). */
  private charge(seg: Segment): void {
    const c = this.code;
    // A single-block loop's check is on the edges into it (enterLoop).
    const onEdges = this.cfg.reducible && seg.first === 0 && this.checksOnEdges(this.block);
    if (seg.check > 0 && !onEdges) {
      c.get(L_FUEL).i64Const(seg.check).op(Op.i64_lt_s);
      open(this, Op.if, { kind: 'other' });
      // A loop header's check (the others: the entry, and after a call).
      this.bail(seg.first, seg.pc, seg.first === 0 && this.cfg.blocks[this.block]!.preds.some((p) => p >= this.block));
      close(this);
    }
    c.get(L_FUEL).i64Const(seg.cost).op(Op.i64_sub).set(L_FUEL);
  }

  // ---- instructions ----

  private insn(pc: number, i: Insn, op: OpInfo): void {
    const c = this.code;
    switch (op.kind) {
      case 'alu':
        return op.is32 ? this.alu32(i, op) : this.alu64(i, op);
      case 'neg':
        if (op.is32) {
          c.i32Const(0);
          this.get32(i.dst);
          c.op(Op.i32_sub);
          this.set32(i.dst);
        } else {
          c.i64Const(0);
          this.get64(i.dst);
          c.op(Op.i64_sub);
          this.set64(i.dst);
        }
        return;
      case 'end':
        return this.endian(i, op);
      case 'ld_imm64': {
        const hi = this.ctx.prog.insns[pc + 1]!.imm >>> 0;
        c.i64Const((BigInt(hi) << 32n) | BigInt(i.imm >>> 0));
        this.set64(i.dst);
        return;
      }
      case 'ldx':
      case 'ldxs': {
        const l = op.kind === 'ldx' ? this.slot(i.src, i.off, op.size) : undefined;
        if (l !== undefined) {
          c.get(l);
          this.set64(i.dst);
          return;
        }
        const offset = this.address(pc, i.src, i.off, op.size!, false);
        // A zero-extending load into a narrow web loads an i32 (RFC 9669 §5.1: the upper bits are 0).
        if (op.kind === 'ldx' && op.size! <= 4 && this.defNarrow()) c.mem(loadOp32(op.size!), 0, offset).set(this.l32[i.dst]!);
        else {
          c.mem(loadOp(op.size!, op.kind === 'ldxs'), 0, offset);
          this.set64(i.dst);
        }
        return;
      }
      case 'st': {
        const l = this.slot(i.dst, i.off, op.size);
        if (l !== undefined) c.i64Const(i.imm).set(l);
        else {
          const offset = this.address(pc, i.dst, i.off, op.size!, true);
          c.i64Const(i.imm).mem(storeOp(op.size!), 0, offset);
        }
        return;
      }
      case 'stx': {
        const l = this.slot(i.dst, i.off, op.size);
        if (l !== undefined) {
          this.get64(i.src);
          c.set(l);
          return;
        }
        const offset = this.address(pc, i.dst, i.off, op.size!, true);
        // Stores of at most 32 bits take a narrow value as it is.
        if (op.size! <= 4 && this.narrowAt(i.src)) c.get(this.l32[i.src]!).mem(storeOp32(op.size!), 0, offset);
        else {
          this.get64(i.src);
          c.mem(storeOp(op.size!), 0, offset);
        }
        return;
      }
      case 'atomic':
        return this.atomic(pc, i, op.size!);
      case 'call':
        if (i.src === CALL_LOCAL) return this.localCall(pc, pc + 1 + i.imm);
        c.i32Const(i.imm).set(L_E);
        return this.helperCall(pc);
      case 'callx':
        // The helper id is the register's value (bpf_conformance's encoding); out of range: -1.
        c.get(i.dst).i64Const(0x7fffffff).op(Op.i64_gt_u).if(I32).i32Const(-1).op(Op.else)
          .get(i.dst).op(Op.i32_wrap_i64).end().set(L_E);
        return this.helperCall(pc);
      default:
        // Jumps and exit are terminators, emitted by the structurer.
        return;
    }
  }

  /** The source operand of a 64-bit ALU instruction: the register or the sign-extended immediate. */
  private operand64(i: Insn, op: OpInfo): void {
    if (op.srcReg) this.get64(i.src);
    else this.code.i64Const(i.imm);
  }

  /** The source operand of a 32-bit ALU instruction: the register's low half or the immediate. */
  private operand32(i: Insn, op: OpInfo): void {
    if (op.srcReg) this.get32(i.src);
    else this.code.i32Const(i.imm);
  }

  private alu64(i: Insn, op: OpInfo): void {
    const c = this.code;
    const d = i.dst;
    const code = i.opcode & 0xf0;
    if (this.defNarrow() && this.alu64Narrow(i, op)) return;
    // Wasm masks shift counts modulo 64 like RFC 9669 §4.1 asks.
    const simple = SIMPLE_ALU.get(code);
    if (simple) {
      this.get64(d);
      this.operand64(i, op);
      c.op(simple[1]);
      this.set64(d);
      return;
    }
    if (code === ALU_MOV) {
      if (!op.srcReg) c.i64Const(i.imm);
      else {
        this.get64(i.src);
        // MOVSX (RFC 9669 §4.1.1)
        if (i.off === 8) c.op(Op.i64_extend8_s);
        else if (i.off === 16) c.op(Op.i64_extend16_s);
        else if (i.off === 32) c.op(Op.i64_extend32_s);
      }
      this.set64(d);
      return;
    }
    const signed = i.off === 1;
    if (code === ALU_DIV) {
      // RFC 9669 §4.1: x / 0 = 0; signed INT_MIN / -1 wraps (Wasm's div_s would trap on both).
      if (!op.srcReg) {
        if (i.imm === 0) c.i64Const(0);
        else if (signed && i.imm === -1) {
          c.i64Const(0);
          this.get64(d);
          c.op(Op.i64_sub);
        } else {
          this.get64(d);
          c.i64Const(i.imm).op(signed ? Op.i64_div_s : Op.i64_div_u);
        }
      } else {
        this.get64(i.src);
        this.divideByRegister(d, true, signed, false);
      }
      this.set64(d);
      return;
    }
    if (code === ALU_MOD) {
      // x % 0 = x; Wasm's rem_s(INT_MIN, -1) is 0 without trapping, as eBPF wants.
      if (!op.srcReg) {
        if (i.imm === 0) return this.keep(d);
        this.get64(d);
        c.i64Const(i.imm).op(signed ? Op.i64_rem_s : Op.i64_rem_u);
      } else {
        this.get64(i.src);
        this.divideByRegister(d, true, signed, true);
      }
      this.set64(d);
    }
  }

  /**
   * An ALU64 instruction whose result narrow.ts proved below 2^32, computed in 32 bits where
   * that is exact: the low 32 bits of a sum, difference, product, bitwise result or left shift
   * by less than 32 depend only on the operands' low 32 bits, and a right shift of a value
   * below 2^32 (non-negative, so arithmetic is logical) is the shift of its low half.
   * Returns false where the 64-bit form must be used.
   */
  private alu64Narrow(i: Insn, op: OpInfo): boolean {
    const c = this.code;
    const d = i.dst;
    const code = i.opcode & 0xf0;
    const k = i.imm & 63;
    const local = this.l32[d]!;
    if (code === ALU_MOV) {
      if (i.off !== 0) return false;
      if (op.srcReg) this.get32(i.src);
      else c.i32Const(i.imm);
      c.set(local);
      return true;
    }
    const low = code === ALU_ADD || code === ALU_SUB || code === ALU_MUL || code === ALU_AND || code === ALU_OR || code === ALU_XOR || (code === ALU_LSH && !op.srcReg && k < 32);
    const right = (code === ALU_RSH || code === ALU_ARSH) && !op.srcReg && k < 32 && this.narrowAt(d);
    if (!low && !right) return false;
    this.get32(d);
    if (right) c.i32Const(k).op(Op.i32_shr_u);
    else {
      this.operand32(i, op);
      c.op(SIMPLE_ALU.get(code)![0]);
    }
    c.set(local);
    return true;
  }

  private alu32(i: Insn, op: OpInfo): void {
    const c = this.code;
    const d = i.dst;
    const code = i.opcode & 0xf0;
    // ALU32 results are zero-extended into the 64-bit register (RFC 9669 §4.1).
    const simple = SIMPLE_ALU.get(code);
    if (simple) {
      this.get32(d);
      this.operand32(i, op);
      c.op(simple[0]);
      this.set32(d);
      return;
    }
    if (code === ALU_MOV) {
      if (!op.srcReg) c.i32Const(i.imm);
      else {
        this.get32(i.src);
        if (i.off === 8) c.op(Op.i32_extend8_s);
        else if (i.off === 16) c.op(Op.i32_extend16_s);
      }
      this.set32(d);
      return;
    }
    const signed = i.off === 1;
    if (code === ALU_DIV) {
      if (!op.srcReg) {
        if (i.imm === 0) c.i32Const(0);
        else if (signed && i.imm === -1) {
          c.i32Const(0);
          this.get32(d);
          c.op(Op.i32_sub);
        } else {
          this.get32(d);
          this.operand32(i, op);
          c.op(signed ? Op.i32_div_s : Op.i32_div_u);
        }
      } else {
        this.operand32(i, op);
        this.divideByRegister(d, false, signed, false);
      }
      this.set32(d);
      return;
    }
    if (code === ALU_MOD) {
      if (!op.srcReg) {
        this.get32(d);
        if (i.imm !== 0) {
          this.operand32(i, op);
          c.op(signed ? Op.i32_rem_s : Op.i32_rem_u);
        }
      } else {
        this.operand32(i, op);
        this.divideByRegister(d, false, signed, true);
      }
      this.set32(d);
    }
  }

  /**
   * d / y or d % y in 64 or 32 bits, the divisor y on the stack. RFC 9669 §4.1: x / 0 = 0,
   * x % 0 = x, and a signed INT_MIN / -1 wraps to INT_MIN, where Wasm's div_s would trap (its
   * rem_s gives 0 there without trapping, as eBPF wants).
   */
  private divideByRegister(d: number, wide: boolean, signed: boolean, mod: boolean): void {
    const c = this.code;
    const y = wide ? L_DIFF : L_X;
    const type = wide ? I64 : I32;
    const dividend = (): void => (wide ? this.get64(d) : this.get32(d));
    const zero = (): void => {
      if (wide) c.i64Const(0);
      else c.i32Const(0);
    };
    c.tee(y).op(wide ? Op.i64_eqz : Op.i32_eqz).if(type);
    if (mod) dividend();
    else zero();
    c.op(Op.else);
    if (!mod && signed) {
      c.get(y);
      if (wide) c.i64Const(-1);
      else c.i32Const(-1);
      c.op(wide ? Op.i64_eq : Op.i32_eq).if(type);
      zero();
      dividend();
      c.op(wide ? Op.i64_sub : Op.i32_sub).op(Op.else);
      dividend();
      c.get(y).op(wide ? Op.i64_div_s : Op.i32_div_s).end();
    } else {
      dividend();
      const [s32, u32, s64, u64] = mod ? [Op.i32_rem_s, Op.i32_rem_u, Op.i64_rem_s, Op.i64_rem_u] : [Op.i32_div_s, Op.i32_div_u, Op.i64_div_s, Op.i64_div_u];
      c.get(y).op(wide ? (signed ? s64 : u64) : signed ? s32 : u32);
    }
    c.end();
  }

  /** Pushes bswap32 of the i32 on the stack (Wasm has no byte swap: rotates and masks). */
  private bswap32(): void {
    this.code.tee(L_X).i32Const(8).op(Op.i32_rotl).i32Const(0x00ff00ff).op(Op.i32_and)
      .get(L_X).i32Const(8).op(Op.i32_rotr).i32Const(0xff00ff00 | 0).op(Op.i32_and).op(Op.i32_or);
  }

  private endian(i: Insn, op: OpInfo): void {
    const c = this.code;
    const d = i.dst;
    // RFC 9669 §4.2: TO_LE on a little-endian host truncates; TO_BE and BSWAP swap.
    const le = op.is32 && !(i.opcode & 0x08);
    if (le) {
      if (i.imm === 16 || i.imm === 32) {
        this.get64(d);
        c.i64Const(i.imm === 16 ? 0xffff : 0xffffffff).op(Op.i64_and);
        this.set64(d);
      } else this.keep(d);
      return;
    }
    if (i.imm === 32) {
      this.get32(d);
      this.bswap32();
      this.set32(d);
      return;
    }
    if (i.imm === 16) {
      this.get64(d);
      c.i64Const(0xff).op(Op.i64_and).i64Const(8).op(Op.i64_shl);
      this.get64(d);
      c.i64Const(8).op(Op.i64_shr_u).i64Const(0xff).op(Op.i64_and).op(Op.i64_or);
    } else {
      this.get32(d);
      this.bswap32();
      c.op(Op.i64_extend_i32_u).i64Const(32).op(Op.i64_shl);
      this.get64(d);
      c.i64Const(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
      this.bswap32();
      c.op(Op.i64_extend_i32_u).op(Op.i64_or);
    }
    this.set64(d);
  }

  private compare(i: Insn, op: OpInfo): void {
    const c = this.code;
    const code = i.opcode & 0xf0;
    // Two values below 2^32 (narrow.ts) compare as their low halves, signed or not; so does one
    // with a non-negative immediate, and any immediate for JSET (the value's high half is 0).
    const narrow = !op.is32 && this.narrowAt(i.dst) && (op.srcReg ? this.narrowAt(i.src) : i.imm >= 0 || code === JMP_JSET);
    if (op.is32 || narrow) {
      this.get32(i.dst);
      if (op.srcReg) this.get32(i.src);
      else c.i32Const(i.imm);
    } else {
      this.get64(i.dst);
      if (op.srcReg) this.get64(i.src);
      else c.i64Const(i.imm);
    }
    if (code === JMP_JSET) {
      if (op.is32 || narrow) c.op(Op.i32_and);
      else c.op(Op.i64_and).op(Op.i64_eqz).op(Op.i32_eqz);
      return;
    }
    c.op(narrow ? UNSIGNED32.get(code)! : COMPARE.get(code)![op.is32 ? 0 : 1]);
  }

  // ---- memory ----

  /** The address of the cached (lo, limit) of a kind of check (REGION_CACHE). */
  private cache(size: number, write: boolean): number {
    return REGION_CACHE + 16 * ((write ? 4 : 0) + SIZE_INDEX[size]!);
  }

  /** Caches the region-table entry at L_E for the kind whose cache is at `e`. */
  private fill(e: number, limitOffset: number): void {
    const c = this.code;
    c.i32Const(0).get(L_E).mem(Op.i64_load, 3, 0).mem(Op.i64_store, 3, e);
    c.i32Const(0).get(L_E).mem(Op.i64_load, 3, limitOffset).mem(Op.i64_store, 3, e + 8);
  }

  /**
   * Leaves the checked i32 linear address of [reg + off, +size) on the stack, or faults like the
   * interpreter (same pc, address, size and direction), and returns the constant offset that the
   * memory instruction must add to it. An address is only used after a region accepted it, so
   * one with high bits set never aliases (reference/ebpf.md §6.3, strategy a).
   */
  private address(pc: number, reg: number, off: number, size: number, write: boolean): number {
    const c = this.code;
    if (this.unchecked) {
      // A register below 2^32 plus off >= 0 does not wrap, so off can be the memory
      // instruction's offset (added without wrapping, Wasm spec §4.4.7), where V8 folds it.
      // So can a known constant: an unchecked address is inside memory, so constant + index +
      // off, below 2^33 here, is its exact value.
      const f = this.forms[reg];
      const k = f ? f.c + off : -1;
      if (f && k >= 0 && k <= 0xffffffff && (f.r < 0 || this.narrowAt(f.r))) {
        if (f.r < 0) c.i32Const(0);
        else c.get(this.l32[f.r]!);
        return k;
      }
      if (this.narrowAt(reg)) {
        this.get32(reg);
        if (off >= 0) return off;
        c.i32Const(off).op(Op.i32_add);
        return 0;
      }
      // A 64-bit register: its sum with off lies in a region, so at or above the lowest address
      // a region can start; an off no larger than that cannot have wrapped the sum past 2^64
      // (it would be below off), so the register is below 2^32 and its low half plus off, which
      // Wasm adds without wrapping, is the address. V8 then folds off into the access, and
      // accesses through one register at several offsets (varint's byte stores) share its index.
      if (off >= 0 && off <= this.ctx.lowestRegion) {
        this.get64(reg);
        c.op(Op.i32_wrap_i64);
        return off;
      }
      this.get64(reg);
      c.i64Const(off).op(Op.i64_add).op(Op.i32_wrap_i64);
      return 0;
    }
    const e = this.cache(size, write);
    const limitOffset = (write ? REGION_LIMITS_WRITE : REGION_LIMITS_READ) + 8 * SIZE_INDEX[size]!;
    this.get64(reg);
    if (off !== 0) c.i64Const(off).op(Op.i64_add);
    c.tee(L_ADDR).i32Const(0).mem(Op.i64_load, 3, e).op(Op.i64_sub).i32Const(0).mem(Op.i64_load, 3, e + 8).op(Op.i64_ge_u);
    open(this, Op.if, { kind: 'other' });
    this.scan(limitOffset, () => {
      c.i32Const(this.abs(pc)).get(L_ADDR).i32Const(size).i32Const(write ? 1 : 0).get(L_FUEL).call(F_OOB);
      this.brFail();
    });
    this.fill(e, limitOffset);
    close(this);
    c.get(L_ADDR).op(Op.i32_wrap_i64);
    return 0;
  }

  /**
   * Leaves in L_E the first region-table entry whose limit at `limitOffset` admits L_ADDR (the
   * interpreter's findRegion), or runs `none`, which must leave. Inline rather than a call: a
   * call in a loop makes V8 keep every live register in memory around it.
   */
  private scan(limitOffset: number, none: () => void): void {
    const c = this.code;
    c.i32Const(REGION_TABLE).set(L_E);
    c.i32Const(0).mem(Op.i32_load, 2, REGION_COUNT).set(L_X);
    open(this, Op.block, { kind: 'other' }); // found
    open(this, Op.block, { kind: 'other' }); // not found
    open(this, Op.loop, { kind: 'other' });
    c.get(L_X).op(Op.i32_eqz).brIf(1);
    c.get(L_ADDR).get(L_E).mem(Op.i64_load, 3, 0).op(Op.i64_sub).get(L_E).mem(Op.i64_load, 3, limitOffset).op(Op.i64_lt_u).brIf(2);
    c.get(L_E).i32Const(REGION_BYTES).op(Op.i32_add).set(L_E);
    c.get(L_X).i32Const(1).op(Op.i32_sub).set(L_X).br(0);
    close(this);
    close(this);
    none();
    close(this);
  }

  /**
   * One check of the union of a group's accesses (checks.ts), before its first access. On
   * failure, bail to the interpreter right there, giving back the fuel of what has not run.
   */
  private mergedCheck(k: number, pc: number, i: Insn, op: OpInfo, m: MergedCheck): void {
    const c = this.code;
    const base = op.kind === 'ldx' || op.kind === 'ldxs' ? i.src : i.dst;
    // A span of 1, 2, 4 or 8 bytes has its own limit in the region table: one compare, as for a
    // single access. Otherwise [a, a + span) must lie in the region: a - lo < len and
    // a - lo + span - 1 < len, with len the size-1 limit.
    const sized = SIZE_INDEX[m.span] !== undefined;
    const e = this.cache(sized ? m.span : 1, m.write);
    const limit = (m.write ? REGION_LIMITS_WRITE : REGION_LIMITS_READ) + (sized ? 8 * SIZE_INDEX[m.span]! : 0);
    const limitOf = (): void => {
      c.i32Const(0).mem(Op.i64_load, 3, e + 8);
    };
    const failing = (): void => {
      c.get(L_ADDR).i32Const(0).mem(Op.i64_load, 3, e).op(Op.i64_sub);
      if (sized) {
        limitOf();
        c.op(Op.i64_ge_u);
        return;
      }
      c.tee(L_DIFF);
      limitOf();
      c.op(Op.i64_ge_u);
      c.get(L_DIFF).i64Const(m.span - 1).op(Op.i64_add);
      limitOf();
      c.op(Op.i64_ge_u).op(Op.i32_or);
    };
    const bail = (): void => {
      c.get(L_FUEL).i64Const(m.unspent).op(Op.i64_add).set(L_FUEL);
      this.bail(k, pc);
    };
    this.get64(base);
    c.i64Const(m.minOff).op(Op.i64_add).set(L_ADDR);
    failing();
    open(this, Op.if, { kind: 'other' });
    this.scan(limit, bail);
    this.fill(e, limit);
    failing();
    open(this, Op.if, { kind: 'other' });
    bail();
    close(this);
    close(this);
  }

  // ---- loop guards (versioning.ts) ----

  /** Pushes the i64 value of a form at the loop's entry, its iteration term left out. */
  private form(f: Form): void {
    const c = this.code;
    c.i64Const(f[K]!);
    for (let r = 0; r <= 10; r++) {
      const k = f[r]!;
      if (k === 0) continue;
      this.get64(r);
      if (k !== 1) c.i64Const(k).op(Op.i64_mul);
      c.op(Op.i64_add);
    }
  }

  /**
   * The guard's condition: 1 when the loop's last possible iteration t* is known and every
   * range of its covered accesses over iterations 0..t* lies in one region of the kind it needs,
   * else 0 (the checked copy runs). Exact either way: it only picks the copy (versioning.ts).
   */
  private loopGuard(g: LoopGuard): void {
    const c = this.code;
    open(this, Op.block, { kind: 'other' }, I32);
    const failAt = this.labels.length;
    open(this, Op.block, { kind: 'other' });
    const fail = (): void => {
      c.brIf(this.labels.length - 1 - failAt);
    };
    // Values below 2^40 and t* below 2^32 keep every sum and product below 2^63: true integers.
    const small = (local: number, bits: number): void => {
      c.get(local).i64Const(bits).op(Op.i64_shr_u).op(Op.i64_eqz).op(Op.i32_eqz);
      fail();
    };
    const { trip } = g;
    const a = Math.abs(trip.step);
    this.form(trip.v0);
    c.set(L_LO);
    this.form(trip.limit);
    c.set(L_HI);
    small(L_LO, 40);
    small(L_HI, 40);
    // Counting up, the distance is limit - v0; down, v0 - limit.
    const [near, far] = trip.step > 0 ? [L_LO, L_HI] : [L_HI, L_LO];
    const distance = (): void => {
      c.get(far).get(near).op(Op.i64_sub);
    };
    const over = (): void => {
      if (a !== 1) c.i64Const(a).op(Op.i64_div_u);
    };
    if (trip.rel === '!=') {
      // Exits at the first t with v0 + step·t = limit: in range only if step divides the distance.
      c.get(near).get(far).op(Op.i64_gt_u);
      fail();
      if (a !== 1) {
        distance();
        c.i64Const(a).op(Op.i64_rem_u).op(Op.i64_eqz).op(Op.i32_eqz);
        fail();
      }
      distance();
      over();
    } else {
      // '<' or '>' exits at the first t reaching the limit: ceil(distance / a), 0 if already there;
      // '<=' or '>=' at the first t past it: floor(distance / a) + 1.
      const strict = trip.rel === '<' || trip.rel === '>';
      c.i64Const(0);
      distance();
      if (strict) {
        if (a !== 1) c.i64Const(a - 1).op(Op.i64_add);
        over();
      } else {
        over();
        c.i64Const(1).op(Op.i64_add);
      }
      c.get(near).get(far).op(strict ? Op.i64_ge_u : Op.i64_gt_u);
      c.op(Op.select);
    }
    c.set(L_TRIP);
    small(L_TRIP, 32);
    if (!trip.signed && trip.step < 0 && trip.rel !== '!=') {
      // Unsigned: the exiting value must not wrap below zero, or the loop would go on.
      c.get(L_LO).i64Const(a).get(L_TRIP).op(Op.i64_mul).op(Op.i64_sub).i64Const(0).op(Op.i64_lt_s);
      fail();
    }
    for (let r = 0; r < g.ranges.length; r++) {
      const rc = g.ranges[r]!;
      this.form(rc.base);
      c.set(L_ADDR);
      small(L_ADDR, 40);
      c.get(L_ADDR).i64Const(rc.lo).op(Op.i64_add);
      if (rc.step < 0) c.i64Const(rc.step).get(L_TRIP).op(Op.i64_mul).op(Op.i64_add);
      c.set(L_LO);
      c.get(L_ADDR).i64Const(rc.hi - 1).op(Op.i64_add);
      if (rc.step > 0) c.i64Const(rc.step).get(L_TRIP).op(Op.i64_mul).op(Op.i64_add);
      c.set(L_HI);
      // [lo, hi] inside one region: both ends below its size-1 limit from its start.
      const e = this.cache(1, rc.write);
      const limit = rc.write ? REGION_LIMITS_WRITE : REGION_LIMITS_READ;
      const outside = (): void => {
        c.get(L_LO).i32Const(0).mem(Op.i64_load, 3, e).op(Op.i64_sub).i32Const(0).mem(Op.i64_load, 3, e + 8).op(Op.i64_ge_u);
        c.get(L_HI).i32Const(0).mem(Op.i64_load, 3, e).op(Op.i64_sub).i32Const(0).mem(Op.i64_load, 3, e + 8).op(Op.i64_ge_u);
        c.op(Op.i32_or);
      };
      outside();
      open(this, Op.if, { kind: 'other' });
      c.get(L_LO).set(L_ADDR);
      this.scan(limit, () => {
        c.br(this.labels.length - 1 - failAt);
      });
      this.fill(e, limit);
      outside();
      fail();
      close(this);
    }
    c.i32Const(1).br(this.labels.length - 1 - (failAt - 1));
    close(this);
    c.i32Const(0);
    close(this);
  }

  private atomic(pc: number, i: Insn, size: number): void {
    const c = this.code;
    const wide = size === 8;
    const load = wide ? Op.i64_load : Op.i64_load32_u;
    const store = wide ? Op.i64_store : Op.i64_store32;
    // One thread per memory: load-op-store is atomic (RFC 9669 §5.3). The check is the write
    // check, as in the interpreter (a writable region is readable).
    const offset = this.address(pc, i.dst, i.off, size, true);
    if (offset !== 0) c.i32Const(offset).op(Op.i32_add);
    c.tee(L_X).mem(load, 0).set(L_OLD);
    if (i.imm === ATOMIC_CMPXCHG) {
      if (wide) {
        this.get64(0);
        c.get(L_OLD).op(Op.i64_eq);
      } else {
        this.get32(0);
        c.get(L_OLD).op(Op.i32_wrap_i64).op(Op.i32_eq);
      }
      c.if().get(L_X);
      this.get64(i.src);
      c.mem(store, 0).end();
      c.get(L_OLD);
      this.set64(0);
      return;
    }
    if (i.imm === ATOMIC_XCHG) {
      c.get(L_X);
      this.get64(i.src);
      c.mem(store, 0);
      c.get(L_OLD);
      this.set64(i.src);
      return;
    }
    const base = i.imm & ~ATOMIC_FETCH;
    const o = base === ATOMIC_ADD ? Op.i64_add : base === ATOMIC_OR ? Op.i64_or : base === ATOMIC_AND ? Op.i64_and : Op.i64_xor;
    c.get(L_X).get(L_OLD);
    this.get64(i.src);
    c.op(o).mem(store, 0);
    if (i.imm & ATOMIC_FETCH) {
      c.get(L_OLD);
      this.set64(i.src);
    }
  }

  // ---- calls ----

  /** Calls helper L_E: r1..r5 and the fuel go through memory, r0 and the fuel come back. */
  private helperCall(pc: number): void {
    const c = this.code;
    for (let r = 1; r <= 5; r++) c.i32Const(0).get(r).mem(Op.i64_store, 3, REGS + 8 * r);
    c.i32Const(0).get(L_FUEL).mem(Op.i64_store, 3, STATUS + ST_FUEL);
    c.get(L_E).i32Const(this.abs(pc)).call(F_HELPER).set(L_X);
    c.i32Const(0).mem(Op.i64_load, 3, STATUS + ST_FUEL).set(L_FUEL);
    c.get(L_X);
    open(this, Op.if, { kind: 'other' });
    c.i32Const(0).get(L_E).mem(Op.i32_store, 2, STATUS + ST_ARG);
    c.get(L_X).i32Const(this.abs(pc)).get(L_FUEL).call(F_FAULT);
    this.brFail();
    close(this);
    c.i32Const(0).mem(Op.i64_load, 3, REGS).set(0);
    // The helper may have run a nested exec over another region table.
    c.call(F_CLEAR);
  }

  private localCall(pc: number, target: number): void {
    const c = this.code;
    // The depth is in ST_DEPTH, where the interpreter also leaves it on a CALL_DEPTH fault.
    c.i32Const(0).mem(Op.i32_load, 2, STATUS + ST_DEPTH).tee(L_X).i32Const(MAX_CALL_DEPTH).op(Op.i32_ge_s);
    open(this, Op.if, { kind: 'other' });
    c.i32Const(RESULT_DEPTH).i32Const(this.abs(pc)).get(L_FUEL).call(F_FAULT);
    this.brFail();
    close(this);
    c.i32Const(0).get(L_X).i32Const(1).op(Op.i32_add).mem(Op.i32_store, 2, STATUS + ST_DEPTH);
    c.i32Const(0).get(L_FUEL).mem(Op.i64_store, 3, STATUS + ST_FUEL);
    for (let r = 0; r <= 9; r++) c.get(r);
    c.get(L_FP).i64Const(this.ctx.frameSize).op(Op.i64_sub);
    c.call(this.ctx.functionAt(target));
    for (let r = 5; r >= 0; r--) c.set(r);
    c.i32Const(0).mem(Op.i64_load, 3, STATUS + ST_FUEL).set(L_FUEL);
    c.i32Const(0).mem(Op.i32_load, 2, STATUS + ST_CODE).tee(L_X);
    open(this, Op.if, { kind: 'other' });
    // The callee bailed: this frame becomes interpreter frame number `depth` (return pc, r6..r9,
    // r10). ST_DEPTH holds the innermost depth for the interpreter; ours follows from r10.
    c.get(L_X).i32Const(RESULT_JIT_BAIL).op(Op.i32_eq);
    open(this, Op.if, { kind: 'other' });
    c.i64Const(this.ctx.stackTop).get(L_FP).op(Op.i64_sub).i64Const(this.ctx.frameSize).op(Op.i64_div_u).op(Op.i32_wrap_i64);
    c.i32Const(FRAME_BYTES).op(Op.i32_mul).tee(L_E).i32Const(this.abs(pc + 1)).mem(Op.i32_store, 2, FRAMES);
    for (let r = 6; r <= 10; r++) c.get(L_E).get(r).mem(Op.i64_store, 3, FRAMES + 8 * (r - 5));
    close(this);
    this.brFail();
    close(this);
    c.i32Const(0).i32Const(0).mem(Op.i32_load, 2, STATUS + ST_DEPTH).i32Const(1).op(Op.i32_sub).mem(Op.i32_store, 2, STATUS + ST_DEPTH);
  }
}

/** ALU codes that map to one Wasm operator: [i32 form, i64 form]. */
const SIMPLE_ALU: ReadonlyMap<number, readonly [number, number]> = new Map([
  [ALU_ADD, [Op.i32_add, Op.i64_add]], [ALU_SUB, [Op.i32_sub, Op.i64_sub]], [ALU_MUL, [Op.i32_mul, Op.i64_mul]],
  [ALU_OR, [Op.i32_or, Op.i64_or]], [ALU_AND, [Op.i32_and, Op.i64_and]], [ALU_XOR, [Op.i32_xor, Op.i64_xor]],
  [ALU_LSH, [Op.i32_shl, Op.i64_shl]], [ALU_RSH, [Op.i32_shr_u, Op.i64_shr_u]], [ALU_ARSH, [Op.i32_shr_s, Op.i64_shr_s]],
]);

/** Conditional jump codes (RFC 9669 §4.3) as Wasm comparisons: [JMP32 form, JMP form]. */
const COMPARE: ReadonlyMap<number, readonly [number, number]> = new Map([
  [JMP_JEQ, [Op.i32_eq, Op.i64_eq]], [JMP_JNE, [Op.i32_ne, Op.i64_ne]],
  [JMP_JGT, [Op.i32_gt_u, Op.i64_gt_u]], [JMP_JGE, [Op.i32_ge_u, Op.i64_ge_u]],
  [JMP_JLT, [Op.i32_lt_u, Op.i64_lt_u]], [JMP_JLE, [Op.i32_le_u, Op.i64_le_u]],
  [JMP_JSGT, [Op.i32_gt_s, Op.i64_gt_s]], [JMP_JSGE, [Op.i32_ge_s, Op.i64_ge_s]],
  [JMP_JSLT, [Op.i32_lt_s, Op.i64_lt_s]], [JMP_JSLE, [Op.i32_le_s, Op.i64_le_s]],
]);

/** 64-bit comparisons of two values below 2^32 as i32 comparisons: signed ones are unsigned there. */
const UNSIGNED32: ReadonlyMap<number, number> = new Map([
  [JMP_JEQ, Op.i32_eq], [JMP_JNE, Op.i32_ne],
  [JMP_JGT, Op.i32_gt_u], [JMP_JGE, Op.i32_ge_u], [JMP_JLT, Op.i32_lt_u], [JMP_JLE, Op.i32_le_u],
  [JMP_JSGT, Op.i32_gt_u], [JMP_JSGE, Op.i32_ge_u], [JMP_JSLT, Op.i32_lt_u], [JMP_JSLE, Op.i32_le_u],
]);

/** A register's value as c + the value of narrow register r's i32 local (r = -1: c alone). */
interface AddressForm {
  c: number;
  r: number;
}

const HAS_LOOP = 1;
const HAS_CALL = 2;

/**
 * HAS_LOOP if the CFG has a retreating edge (a loop, or an irreducible cycle), HAS_CALL if an
 * instruction calls (a helper or a local function) or is not a known instruction.
 */
function shape(cfg: Cfg, info: (OpInfo | undefined)[]): number {
  const blocks = cfg.blocks;
  let sh = 0;
  for (let b = 0; b < blocks.length; b++) {
    const { preds, pcs } = blocks[b]!;
    for (let j = 0; j < preds.length; j++) if (preds[j]! >= b) sh |= HAS_LOOP;
    for (let k = 0; k < pcs.length; k++) {
      const kind = info[pcs[k]!]?.kind;
      if (kind === undefined || kind === 'call' || kind === 'callx') sh |= HAS_CALL;
    }
  }
  return sh;
}

const NO_INDICES: ReadonlySet<number> = new Set();
const NO_CHECKS: CheckPlan = { merged: new Map(), covered: new Set() };


/** Whether any instruction of a block loads or stores. */
function hasAccess(pcs: number[], info: (OpInfo | undefined)[]): boolean {
  for (let i = 0; i < pcs.length; i++) if (isAccess(info[pcs[i]!]!)) return true;
  return false;
}

function loadOp(size: number, signed: boolean): number {
  if (size === 8) return Op.i64_load;
  if (size === 4) return signed ? Op.i64_load32_s : Op.i64_load32_u;
  if (size === 2) return signed ? Op.i64_load16_s : Op.i64_load16_u;
  return signed ? Op.i64_load8_s : Op.i64_load8_u;
}

/** Zero-extending loads of at most 32 bits into an i32. */
function loadOp32(size: number): number {
  return size === 4 ? Op.i32_load : size === 2 ? Op.i32_load16_u : Op.i32_load8_u;
}

/** Stores of the low 8, 16 or 32 bits of an i32. */
function storeOp32(size: number): number {
  return size === 4 ? Op.i32_store : size === 2 ? Op.i32_store16 : Op.i32_store8;
}

function storeOp(size: number): number {
  return size === 8 ? Op.i64_store : size === 4 ? Op.i64_store32 : size === 2 ? Op.i64_store16 : Op.i64_store8;
}

