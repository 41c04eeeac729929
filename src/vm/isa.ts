/**
 * The eBPF instruction set (RFC 9669): encoding, decoding and the one opcode table that the
 * assembler, disassembler, validator, interpreter loader and (later) the JIT and verifier share.
 *
 * Encoding (RFC 9669 §3): opcode:8 | src:4 dst:4 | offset:s16 | imm:s32, little-endian.
 * `lddw` (RFC 9669 §5.4) is a wide instruction occupying two slots; the second slot carries
 * the upper 32 bits of the constant in its imm field and must have every other field zero.
 */

export const INSN_SIZE = 8;
/** uBPF's UBPF_MAX_INSTS: a program has fewer than 65536 slots. */
export const MAX_INSNS = 65536;

// Instruction classes, RFC 9669 §3.
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_JMP32 = 0x06;
export const BPF_ALU64 = 0x07;

// Source bit of arithmetic and jump instructions, RFC 9669 §4.
export const BPF_K = 0x00;
export const BPF_X = 0x08;

// Arithmetic codes, RFC 9669 §4.1.
export const ALU_ADD = 0x00;
export const ALU_SUB = 0x10;
export const ALU_MUL = 0x20;
export const ALU_DIV = 0x30;
export const ALU_OR = 0x40;
export const ALU_AND = 0x50;
export const ALU_LSH = 0x60;
export const ALU_RSH = 0x70;
export const ALU_NEG = 0x80;
export const ALU_MOD = 0x90;
export const ALU_XOR = 0xa0;
export const ALU_MOV = 0xb0;
export const ALU_ARSH = 0xc0;
export const ALU_END = 0xd0;

// Jump codes, RFC 9669 §4.3.
export const JMP_JA = 0x00;
export const JMP_JEQ = 0x10;
export const JMP_JGT = 0x20;
export const JMP_JGE = 0x30;
export const JMP_JSET = 0x40;
export const JMP_JNE = 0x50;
export const JMP_JSGT = 0x60;
export const JMP_JSGE = 0x70;
export const JMP_CALL = 0x80;
export const JMP_EXIT = 0x90;
export const JMP_JLT = 0xa0;
export const JMP_JLE = 0xb0;
export const JMP_JSLT = 0xc0;
export const JMP_JSLE = 0xd0;

// Load/store modes and sizes, RFC 9669 §5.
export const MODE_IMM = 0x00;
export const MODE_ABS = 0x20;
export const MODE_IND = 0x40;
export const MODE_MEM = 0x60;
export const MODE_MEMSX = 0x80;
export const MODE_ATOMIC = 0xc0;
export const SIZE_W = 0x00;
export const SIZE_H = 0x08;
export const SIZE_B = 0x10;
export const SIZE_DW = 0x18;

// Atomic operations (imm of an ATOMIC instruction), RFC 9669 §5.3.
export const ATOMIC_FETCH = 0x01;
export const ATOMIC_ADD = 0x00;
export const ATOMIC_OR = 0x40;
export const ATOMIC_AND = 0x50;
export const ATOMIC_XOR = 0xa0;
export const ATOMIC_XCHG = 0xe0 | ATOMIC_FETCH;
export const ATOMIC_CMPXCHG = 0xf0 | ATOMIC_FETCH;
export const ATOMIC_OPS: ReadonlyMap<number, string> = new Map([
  [ATOMIC_ADD, 'add'],
  [ATOMIC_OR, 'or'],
  [ATOMIC_AND, 'and'],
  [ATOMIC_XOR, 'xor'],
  [ATOMIC_ADD | ATOMIC_FETCH, 'fetch add'],
  [ATOMIC_OR | ATOMIC_FETCH, 'fetch or'],
  [ATOMIC_AND | ATOMIC_FETCH, 'fetch and'],
  [ATOMIC_XOR | ATOMIC_FETCH, 'fetch xor'],
  [ATOMIC_XCHG, 'xchg'],
  [ATOMIC_CMPXCHG, 'cmpxchg'],
]);

// Call kinds (src field of CALL), RFC 9669 §4.3.1.
export const CALL_HELPER = 0;
export const CALL_LOCAL = 1;
export const CALL_BTF = 2;

/** Well-known opcodes used across the VM. */
export const OP_LDDW = BPF_LD | MODE_IMM | SIZE_DW; // 0x18
export const OP_CALL = BPF_JMP | JMP_CALL; // 0x85
export const OP_CALLX = BPF_JMP | JMP_CALL | BPF_X; // 0x8d (bpf_conformance/LLVM extension)
export const OP_EXIT = BPF_JMP | JMP_EXIT; // 0x95
export const OP_JA = BPF_JMP | JMP_JA; // 0x05
export const OP_JA32 = BPF_JMP32 | JMP_JA; // 0x06, "gotol"

/** Conformance groups of RFC 9669 §2.2 plus bpf_conformance's callx. */
export type Group = 'base32' | 'base64' | 'atomic32' | 'atomic64' | 'divmul32' | 'divmul64' | 'packet' | 'callx';

/** A decoded instruction slot. imm is the signed 32-bit field; off the signed 16-bit field. */
export interface Insn {
  opcode: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

export function decodeInsn(code: Uint8Array, pc: number): Insn {
  const o = pc * INSN_SIZE;
  const regs = code[o + 1]!;
  return {
    opcode: code[o]!,
    dst: regs & 0x0f,
    src: regs >> 4,
    off: (code[o + 2]! | (code[o + 3]! << 8)) << 16 >> 16,
    imm: code[o + 4]! | (code[o + 5]! << 8) | (code[o + 6]! << 16) | (code[o + 7]! << 24),
  };
}

export function encodeInsn(insn: Insn, out: Uint8Array, pc: number): void {
  const o = pc * INSN_SIZE;
  out[o] = insn.opcode & 0xff;
  out[o + 1] = (insn.dst & 0x0f) | ((insn.src & 0x0f) << 4);
  out[o + 2] = insn.off & 0xff;
  out[o + 3] = (insn.off >> 8) & 0xff;
  out[o + 4] = insn.imm & 0xff;
  out[o + 5] = (insn.imm >> 8) & 0xff;
  out[o + 6] = (insn.imm >> 16) & 0xff;
  out[o + 7] = (insn.imm >>> 24) & 0xff;
}

/** Number of slots in a code buffer; the caller has checked the length is a multiple of 8. */
export function slotCount(code: Uint8Array): number {
  return code.length / INSN_SIZE;
}

/** The 64-bit constant of an lddw pair at pc (imm of slot pc is the low half, of pc+1 the high half). */
export function lddwValue(code: Uint8Array, pc: number): bigint {
  const lo = decodeInsn(code, pc).imm >>> 0;
  const hi = decodeInsn(code, pc + 1).imm >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** What an opcode does, for the table below. */
export type OpKind =
  | 'alu' // binary arithmetic, K or X form
  | 'neg'
  | 'end' // le/be/bswap
  | 'ld_imm64' // lddw
  | 'ld_packet' // legacy LD_ABS / LD_IND
  | 'ldx'
  | 'ldxs'
  | 'st'
  | 'stx'
  | 'atomic'
  | 'ja'
  | 'ja32'
  | 'jcond'
  | 'call'
  | 'callx'
  | 'exit';

/** One row of the opcode table: the rules every field of the instruction must follow. */
export interface OpInfo {
  opcode: number;
  kind: OpKind;
  /** Mnemonic root as bpf_conformance's assembler spells it (`add32`, `ldxw`, `jeq`, `jeq32`, ...). */
  name: string;
  group: Group;
  /** Minimum cpu version (v1..v4) as in bpf_conformance's table. */
  version: 1 | 2 | 3 | 4;
  /** Access width in bytes for loads, stores and atomics. */
  size?: 1 | 2 | 4 | 8;
  /** True for the 32-bit ALU and JMP32 classes. */
  is32: boolean;
  /** X (register) source form of ALU and jump instructions. */
  srcReg: boolean;
}

/**
 * The register a non-call instruction writes, or -1 (stores, jumps, exit). ALU, loads and
 * `lddw` write dst; a fetching atomic writes src, CMPXCHG writes r0 (RFC 9669 §5.3). Calls
 * clobber r0–r5 (and a local call more): callers that see calls handle them themselves.
 */
export function writtenRegister(i: Insn, op: OpInfo): number {
  switch (op.kind) {
    case 'alu':
    case 'neg':
    case 'end':
    case 'ld_imm64':
    case 'ldx':
    case 'ldxs':
      return i.dst;
    case 'atomic':
      return i.imm === ATOMIC_CMPXCHG ? 0 : (i.imm & ATOMIC_FETCH) !== 0 ? i.src : -1;
    default:
      return -1;
  }
}

const ALU_NAMES: ReadonlyMap<number, string> = new Map([
  [ALU_ADD, 'add'], [ALU_SUB, 'sub'], [ALU_MUL, 'mul'], [ALU_DIV, 'div'], [ALU_OR, 'or'],
  [ALU_AND, 'and'], [ALU_LSH, 'lsh'], [ALU_RSH, 'rsh'], [ALU_NEG, 'neg'], [ALU_MOD, 'mod'],
  [ALU_XOR, 'xor'], [ALU_MOV, 'mov'], [ALU_ARSH, 'arsh'], [ALU_END, 'end'],
]);

const JMP_NAMES: ReadonlyMap<number, string> = new Map([
  [JMP_JEQ, 'jeq'], [JMP_JGT, 'jgt'], [JMP_JGE, 'jge'], [JMP_JSET, 'jset'], [JMP_JNE, 'jne'],
  [JMP_JSGT, 'jsgt'], [JMP_JSGE, 'jsge'], [JMP_JLT, 'jlt'], [JMP_JLE, 'jle'], [JMP_JSLT, 'jslt'],
  [JMP_JSLE, 'jsle'],
]);

const SIZE_SUFFIX: ReadonlyMap<number, [string, 1 | 2 | 4 | 8]> = new Map([
  [SIZE_W, ['w', 4]], [SIZE_H, ['h', 2]], [SIZE_B, ['b', 1]], [SIZE_DW, ['dw', 8]],
]);

function buildTable(): Map<number, OpInfo> {
  const t = new Map<number, OpInfo>();
  const add = (info: OpInfo): void => {
    t.set(info.opcode, info);
  };
  for (const cls of [BPF_ALU, BPF_ALU64]) {
    const is32 = cls === BPF_ALU;
    for (const [code, name] of ALU_NAMES) {
      for (const s of [BPF_K, BPF_X]) {
        const opcode = code | s | cls;
        const divmul = code === ALU_MUL || code === ALU_DIV || code === ALU_MOD;
        const group: Group = divmul ? (is32 ? 'divmul32' : 'divmul64') : is32 ? 'base32' : 'base64';
        if (code === ALU_NEG) {
          if (s === BPF_X) continue; // RFC 9669 §4.1: NEG has no register form
          add({ opcode, kind: 'neg', name: is32 ? 'neg32' : 'neg', group, version: 1, is32, srcReg: false });
        } else if (code === ALU_END) {
          // ALU|K = le, ALU|X = be, ALU64|K = bswap (v4); ALU64|X is reserved.
          if (!is32 && s === BPF_X) continue;
          const endName = is32 ? (s === BPF_K ? 'le' : 'be') : 'bswap';
          add({ opcode, kind: 'end', name: endName, group: is32 ? 'base32' : 'base64', version: is32 ? 1 : 4, is32, srcReg: false });
        } else {
          add({ opcode, kind: 'alu', name: is32 ? `${name}32` : name, group, version: 1, is32, srcReg: s === BPF_X });
        }
      }
    }
  }
  for (const cls of [BPF_JMP, BPF_JMP32]) {
    const is32 = cls === BPF_JMP32;
    for (const [code, name] of JMP_NAMES) {
      for (const s of [BPF_K, BPF_X]) {
        // jlt/jle/jslt/jsle came with cpu v2, the JMP32 class with v3.
        const v2 = code === JMP_JLT || code === JMP_JLE || code === JMP_JSLT || code === JMP_JSLE;
        add({
          opcode: code | s | cls, kind: 'jcond', name: is32 ? `${name}32` : name,
          group: is32 ? 'base32' : 'base64', version: is32 ? 3 : v2 ? 2 : 1, is32, srcReg: s === BPF_X,
        });
      }
    }
  }
  add({ opcode: OP_JA, kind: 'ja', name: 'ja', group: 'base32', version: 1, is32: false, srcReg: false });
  add({ opcode: OP_JA32, kind: 'ja32', name: 'ja32', group: 'base32', version: 4, is32: true, srcReg: false });
  add({ opcode: OP_CALL, kind: 'call', name: 'call', group: 'base32', version: 1, is32: false, srcReg: false });
  add({ opcode: OP_CALLX, kind: 'callx', name: 'callx', group: 'callx', version: 1, is32: false, srcReg: true });
  add({ opcode: OP_EXIT, kind: 'exit', name: 'exit', group: 'base32', version: 1, is32: false, srcReg: false });
  add({ opcode: OP_LDDW, kind: 'ld_imm64', name: 'lddw', group: 'base64', version: 1, is32: false, srcReg: false });
  for (const [sz, [suffix, size]] of SIZE_SUFFIX) {
    const g64: Group = sz === SIZE_DW ? 'base64' : 'base32';
    add({ opcode: BPF_LDX | MODE_MEM | sz, kind: 'ldx', name: `ldx${suffix}`, group: g64, version: 1, size, is32: false, srcReg: true });
    add({ opcode: BPF_ST | MODE_MEM | sz, kind: 'st', name: `st${suffix}`, group: g64, version: 1, size, is32: false, srcReg: false });
    add({ opcode: BPF_STX | MODE_MEM | sz, kind: 'stx', name: `stx${suffix}`, group: g64, version: 1, size, is32: false, srcReg: true });
    if (sz !== SIZE_DW) {
      add({ opcode: BPF_LDX | MODE_MEMSX | sz, kind: 'ldxs', name: `ldxs${suffix}`, group: 'base32', version: 4, size, is32: false, srcReg: true });
      // Legacy packet loads (RFC 9669 §5.5, "historical"): decoded so they can be named and skipped.
      add({ opcode: BPF_LD | MODE_ABS | sz, kind: 'ld_packet', name: `ldabs${suffix}`, group: 'packet', version: 1, size, is32: false, srcReg: false });
      add({ opcode: BPF_LD | MODE_IND | sz, kind: 'ld_packet', name: `ldind${suffix}`, group: 'packet', version: 1, size, is32: false, srcReg: true });
    }
    if (sz === SIZE_W || sz === SIZE_DW) {
      add({
        opcode: BPF_STX | MODE_ATOMIC | sz, kind: 'atomic', name: sz === SIZE_W ? 'atomic32' : 'atomic64',
        group: sz === SIZE_W ? 'atomic32' : 'atomic64', version: 3, size, is32: sz === SIZE_W, srcReg: true,
      });
    }
  }
  return t;
}

/** Every opcode of RFC 9669 (plus callx and the legacy packet loads), keyed by opcode byte. */
export const OPCODES: ReadonlyMap<number, OpInfo> = buildTable();

export function opInfo(opcode: number): OpInfo | undefined {
  return OPCODES.get(opcode);
}

/** ALU code of an arithmetic opcode (ALU_ADD .. ALU_END). */
export function aluCode(opcode: number): number {
  return opcode & 0xf0;
}

/** Jump code of a jump opcode (JMP_JA .. JMP_JSLE). */
export function jmpCode(opcode: number): number {
  return opcode & 0xf0;
}

export function insnClass(opcode: number): number {
  return opcode & 0x07;
}

/**
 * The group an instruction belongs to, refining the opcode's group by its fields:
 * SDIV/SMOD (offset 1) and MOVSX, BSWAP, ldxs and ja32 are cpu v4.
 */
export function insnVersion(insn: Insn): 1 | 2 | 3 | 4 {
  const info = OPCODES.get(insn.opcode);
  if (!info) return 1;
  if (info.kind === 'alu') {
    const code = aluCode(insn.opcode);
    if ((code === ALU_DIV || code === ALU_MOD) && insn.off === 1) return 4;
    if (code === ALU_MOV && insn.off !== 0) return 4;
  }
  if (info.kind === 'call' && insn.src === CALL_LOCAL) return 3;
  return info.version;
}
