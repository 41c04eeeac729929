/**
 * Registers that only ever hold values below 2^32 where codegen keeps them in i32 locals, so
 * that no `i64.extend_i32_u` / `i32.wrap_i64` pair sits between two 32-bit operations (crc32's
 * dependency chain runs through `xor32`, `and32`, a shift and a table load).
 *
 * A register is split into webs: the definitions that reach a common use, joined at block
 * boundaries where the register is live (liveness.ts), so clang's reuse of one register for a
 * pointer and later for a 32-bit value gives two webs. A web is narrow when every one of its
 * definitions provably yields a value below 2^32: a forward bound on each value's bit width
 * (RFC 9669 §4.1: ALU32 results and 8/16/32-bit loads are zero-extended), iterated to a least
 * fixpoint from 0. A definition reads the width of the definition before it in its block, or of
 * the web that enters the block, so `and32 r4, 15; lsh r4, 2` is 6 bits wide. The web of a
 * register live at the function's entry holds the caller's 64-bit value: never narrow.
 *
 * Exactness: a narrow web's value v < 2^32 is its i32 local's value zero-extended, so every
 * use that needs 64 bits gets `i64.extend_i32_u` of it, and a definition computed in 64 bits is
 * stored wrapped without loss. Bails and exits read uses like any other instruction (an exit
 * reads r0..r5, liveness.ts), so they see the same value. Only call-free functions of known
 * instructions are planned (a helper or a local call hands registers over in 64 bits).
 */
import {
  ALU_ADD, ALU_AND, ALU_ARSH, ALU_DIV, ALU_LSH, ALU_MOD, ALU_MOV, ALU_MUL, ALU_OR, ALU_RSH, ALU_XOR,
  writtenRegister, type Insn, type OpInfo,
} from '../isa.js';
import type { Cfg } from './cfg.js';
import type { Liveness } from './liveness.js';

export interface NarrowPlan {
  /** Per position (start[b] + k, k = pcs.length: the block's end), r0..r9 whose current web is narrow. */
  use: Uint16Array;
  /** Per position, whether the register the instruction writes starts a narrow web. */
  def: Uint8Array;
  start: Int32Array;
  /** Registers with at least one narrow web (each gets an i32 local). */
  regs: number;
}

const NREGS = 10;

/** Bits needed for a non-negative integer (0 for 0). */
function bitLength(v: number): number {
  return v <= 0 ? 0 : 32 - Math.clz32(v);
}

/** Width of a 64-bit immediate, sign-extended from 32 bits as ALU64 does (RFC 9669 §4.1). */
function imm64(imm: number): number {
  return imm < 0 ? 64 : bitLength(imm);
}

/**
 * Upper bound on the bit width of what instruction i writes, given the widths of its dst and
 * src registers before it (`srcW` unused without a source register).
 */
export function definitionWidth(i: Insn, op: OpInfo, dstW: number, srcW: number, lddwHigh: number): number {
  const code = i.opcode & 0xf0;
  switch (op.kind) {
    case 'alu': {
      const wd = code === ALU_MOV ? 0 : dstW;
      if (op.is32) {
        const ws = op.srcReg ? Math.min(32, srcW) : bitLength(i.imm >>> 0);
        const d = Math.min(32, wd);
        if (code === ALU_MOV) return i.off === 0 ? ws : 32;
        if (code === ALU_AND) return Math.min(d, ws);
        if (code === ALU_OR || code === ALU_XOR) return Math.max(d, ws);
        if (code === ALU_RSH && !op.srcReg) return Math.max(0, d - (i.imm & 31));
        return 32;
      }
      const ws = op.srcReg ? srcW : imm64(i.imm);
      const k = i.imm & 63;
      switch (code) {
        case ALU_MOV: return i.off === 0 ? ws : 64;
        case ALU_ADD: return Math.min(64, Math.max(wd, ws) + 1);
        case ALU_MUL: return Math.min(64, wd + ws);
        case ALU_AND: return Math.min(wd, ws);
        case ALU_OR:
        case ALU_XOR: return Math.max(wd, ws);
        case ALU_LSH: return op.srcReg ? (wd === 0 ? 0 : 64) : Math.min(64, wd === 0 ? 0 : wd + k);
        case ALU_RSH: return op.srcReg ? wd : Math.max(0, wd - k);
        // Below 2^63 an arithmetic shift is a logical one.
        case ALU_ARSH: return wd >= 64 ? 64 : op.srcReg ? wd : Math.max(0, wd - k);
        // Unsigned x / y <= x and x % y <= x (x / 0 = 0, x % 0 = x); signed forms may negate.
        case ALU_DIV:
        case ALU_MOD: return i.off === 0 ? wd : 64;
        default: return 64;
      }
    }
    case 'neg':
      return op.is32 ? 32 : 64;
    case 'end': {
      // TO_LE on a little-endian host truncates to imm bits; a swap keeps imm bits too.
      const le = op.is32 && !(i.opcode & 0x08);
      if (i.imm === 16 || i.imm === 32) return le ? Math.min(i.imm, dstW) : i.imm;
      return le ? dstW : 64;
    }
    case 'ld_imm64':
      return lddwHigh !== 0 ? 32 + bitLength(lddwHigh) : bitLength(i.imm >>> 0);
    case 'ldx':
      return op.size === 8 ? 64 : 8 * op.size!;
    default:
      // Sign-extending loads, atomics: 64 bits.
      return 64;
  }
}

/**
 * Whether a plan can cover a function and may find a narrow web: every instruction known, none
 * a call, and some 32-bit arithmetic (where every narrow web starts, below).
 */
export function narrowable(cfg: Cfg, info: (OpInfo | undefined)[]): boolean {
  let seeds = false;
  for (let b = 0; b < cfg.blocks.length; b++) {
    const pcs = cfg.blocks[b]!.pcs;
    for (let k = 0; k < pcs.length; k++) {
      const op = info[pcs[k]!];
      const kind = op?.kind;
      if (kind === undefined || kind === 'call' || kind === 'callx' || kind === 'ld_packet') return false;
      if (op!.is32 && (kind === 'alu' || kind === 'neg')) seeds = true;
    }
  }
  return seeds;
}

/** The webs of r0..r9 and which are narrow; undefined when no web is. `live` from liveness.ts. */
export function planNarrow(cfg: Cfg, insns: Insn[], info: (OpInfo | undefined)[], live: Liveness): NarrowPlan | undefined {
  const blocks = cfg.blocks;
  const n = blocks.length;
  const { start } = live;
  const positions = start[n]!;
  // Nodes: an entry node per (block, register), then a definition node per position.
  const entryNode = (b: number, r: number): number => b * NREGS + r;
  const defBase = n * NREGS;
  const parent = new Int32Array(defBase + positions);
  for (let x = 0; x < parent.length; x++) parent[x] = x;
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  // The node each register's value comes from before every position, and the defining positions.
  const cur = new Int32Array(positions * NREGS);
  const written = new Int8Array(positions).fill(-1);
  const defAt: number[] = [];
  const defPc: number[] = [];
  for (let b = 0; b < n; b++) {
    const pcs = blocks[b]!.pcs;
    const s = start[b]!;
    for (let r = 0; r < NREGS; r++) cur[s * NREGS + r] = entryNode(b, r);
    for (let k = 0; k < pcs.length; k++) {
      const at = s + k;
      cur.copyWithin((at + 1) * NREGS, at * NREGS, (at + 1) * NREGS);
      const op = info[pcs[k]!]!;
      const w = writtenRegister(insns[pcs[k]!]!, op);
      written[at] = w;
      if (w < 0 || w >= NREGS) continue;
      cur[(at + 1) * NREGS + w] = defBase + at;
      defAt.push(at);
      defPc.push(pcs[k]!);
    }
  }
  // Join each block's outgoing values with the entry nodes of successors where they are live.
  for (let b = 0; b < n; b++) {
    const end = start[b]! + blocks[b]!.pcs.length;
    const succs = blocks[b]!.succs;
    for (let j = 0; j < succs.length; j++) {
      const sb = succs[j]!;
      const liveIn = live.live[start[sb]!]!;
      for (let r = 0; r < NREGS; r++) {
        if (!(liveIn & (1 << r))) continue;
        const a = find(cur[end * NREGS + r]!);
        const e = find(entryNode(sb, r));
        if (a !== e) parent[a] = e;
      }
    }
  }
  // Which webs hold 32-bit arithmetic: an ALU32 result, or a 64-bit operation on such a value
  // (crc32's `lsh r4, 2` after `and32 r4, 15`). Only those go to i32 locals. A web of loaded
  // values, or of 64-bit masks (sieve's `and r7, 63` as a shift count, which V8 drops before its
  // own masked shift), gains nothing there, and its bails would carry more values out of the
  // loop (insertion_sort's inner loop was no longer unrolled, 1.25x slower). A web without a
  // definition is a dead register's: it stays in the i64 local.
  const origin = new Uint8Array(parent.length);
  for (let changed = true; changed;) {
    changed = false;
    for (let j = 0; j < defAt.length; j++) {
      const op = info[defPc[j]!]!;
      if (op.kind !== 'alu' && op.kind !== 'neg') continue;
      const at = defAt[j]!;
      const root = find(defBase + at);
      if (origin[root]) continue;
      const i = insns[defPc[j]!]!;
      const read = (i.opcode & 0xf0) === ALU_MOV ? (op.srcReg ? i.src : -1) : i.dst;
      if (op.is32 || (read >= 0 && read < NREGS && origin[find(cur[at * NREGS + read]!)])) {
        origin[root] = 1;
        changed = true;
      }
    }
  }
  // Widths: per definition node, and per web (at its root). The function's entry holds 64-bit
  // values. After two passes a width still growing is a loop's (a counter's +1 per pass): it
  // goes to 64 at once, an upper bound still, so the fixpoint takes a few passes, not 64.
  const defW = new Uint8Array(positions);
  const webW = new Uint8Array(parent.length);
  for (let r = 0; r < NREGS; r++) webW[find(entryNode(0, r))] = 64;
  const widthAt = (at: number, r: number): number => {
    if (r >= NREGS) return 64;
    const node = cur[at * NREGS + r]!;
    return node >= defBase ? defW[node - defBase]! : webW[find(node)]!;
  };
  for (let pass = 0, changed = true; changed; pass++) {
    changed = false;
    for (let j = 0; j < defAt.length; j++) {
      const at = defAt[j]!;
      const pc = defPc[j]!;
      const i = insns[pc]!;
      const op = info[pc]!;
      const high = op.kind === 'ld_imm64' ? insns[pc + 1]!.imm >>> 0 : 0;
      let w = definitionWidth(i, op, widthAt(at, i.dst), op.srcReg ? widthAt(at, i.src) : 0, high);
      if (w <= defW[at]!) continue;
      if (pass >= 2) w = 64;
      defW[at] = w;
      const root = find(defBase + at);
      if (w > webW[root]!) webW[root] = w;
      changed = true;
    }
  }
  const narrowNode = (node: number): boolean => {
    const root = find(node);
    return origin[root] === 1 && webW[root]! <= 32;
  };
  const use = new Uint16Array(positions);
  const def = new Uint8Array(positions);
  let regs = 0;
  for (let j = 0; j < defAt.length; j++) {
    const at = defAt[j]!;
    if (!narrowNode(defBase + at)) continue;
    def[at] = 1;
    regs |= 1 << written[at]!;
  }
  if (regs === 0) return undefined;
  // Uses only for registers with a narrow web somewhere.
  for (let r = 0; r < NREGS; r++) {
    if (!(regs & (1 << r))) continue;
    for (let at = 0; at < positions; at++) if (narrowNode(cur[at * NREGS + r]!)) use[at] = use[at]! | (1 << r);
  }
  return { use, def, start, regs };
}
