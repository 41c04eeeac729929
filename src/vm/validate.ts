/**
 * Structural validation of a program at load (Level 0 of reference/ebpf.md §5.4): every slot is
 * a known instruction with its reserved fields zero (RFC 9669 §3: "unused fields shall be cleared
 * to zero"), registers are in range, lddw pairs are whole, jumps and calls land on instructions
 * inside their function, and no function can fall off its end. Messages keep uBPF's wording.
 *
 * This is what makes the interpreter's pre-decoded stream safe to run without re-checking fields;
 * memory safety is enforced at run time by the region checks.
 */
import {
  ALU_DIV, ALU_MOD, ALU_MOV, ATOMIC_OPS, CALL_HELPER, CALL_LOCAL, MAX_INSNS, OP_JA, OP_LDDW,
  OPCODES, aluCode, decodeInsn, type Insn,
} from './isa.js';
import { ValidationError } from './errors.js';

export interface ValidateOptions {
  /** Whether a helper id is registered; when absent every helper id is accepted. */
  isHelper?: (id: number) => boolean;
  /** First slot of each function; by default slot 0 plus every local call target. */
  functionStarts?: number[];
  maxInsns?: number;
}

export interface ValidatedProgram {
  /** Sorted first slots of the functions. */
  functionStarts: number[];
}

export function validateProgram(code: Uint8Array, opts: ValidateOptions = {}): ValidatedProgram {
  const max = opts.maxInsns ?? MAX_INSNS;
  if (code.length % 8 !== 0) throw new ValidationError(`program length ${code.length} is not a multiple of 8`, 0);
  const n = code.length / 8;
  if (n === 0) throw new ValidationError('no instructions', 0);
  if (n >= max) throw new ValidationError(`too many instructions (max ${max})`, 0);

  const insns: Insn[] = new Array(n);
  for (let pc = 0; pc < n; pc++) insns[pc] = decodeInsn(code, pc);
  // Second halves of lddw pairs: never executed, never a jump target.
  const wideTail = new Uint8Array(n);
  for (let pc = 0; pc < n; pc++) {
    if (insns[pc]!.opcode === OP_LDDW && !wideTail[pc]) {
      if (pc + 1 >= n) throw new ValidationError(`incomplete lddw at PC ${pc}`, pc);
      wideTail[pc + 1] = 1;
    }
  }

  const starts = new Set<number>(opts.functionStarts ?? [0]);
  for (let pc = 0; pc < n; pc++) {
    if (wideTail[pc]) continue;
    const insn = insns[pc]!;
    checkFields(insn, pc, n, wideTail, insns, opts);
    if (insn.opcode === 0x85 && insn.src === CALL_LOCAL && !opts.functionStarts) starts.add(pc + 1 + insn.imm);
  }
  const functionStarts = [...starts].sort((a, b) => a - b);
  for (const s of functionStarts) {
    if (s < 0 || s >= n || wideTail[s]) throw new ValidationError(`function start ${s} is not an instruction`, 0);
  }

  // Jumps stay inside their function; functions end in exit or an unconditional jump.
  for (let f = 0; f < functionStarts.length; f++) {
    const lo = functionStarts[f]!;
    const hi = f + 1 < functionStarts.length ? functionStarts[f + 1]! : n;
    for (let pc = lo; pc < hi; pc++) {
      if (wideTail[pc]) continue;
      const target = jumpTarget(insns[pc]!, pc);
      if (target !== undefined && (target < lo || target >= hi)) {
        throw new ValidationError(`jump out of function at PC ${pc} (target ${target}, function [${lo}, ${hi}))`, pc);
      }
      if (insns[pc]!.opcode === 0x85 && insns[pc]!.src === CALL_LOCAL && !starts.has(pc + 1 + insns[pc]!.imm)) {
        throw new ValidationError(`call to local function at PC ${pc} does not target a function start`, pc);
      }
    }
    let last = hi - 1;
    if (wideTail[last]) last--;
    const op = insns[last]!.opcode;
    if (op !== 0x95 && op !== OP_JA && op !== 0x06) {
      throw new ValidationError(`sub-program does not end with EXIT or unconditional jump at PC ${last}`, last);
    }
  }
  return { functionStarts };
}

/** Absolute target of a jump instruction, or undefined for anything else. */
export function jumpTarget(insn: Insn, pc: number): number | undefined {
  const info = OPCODES.get(insn.opcode);
  if (!info) return undefined;
  if (info.kind === 'ja' || info.kind === 'jcond') return pc + 1 + insn.off;
  if (info.kind === 'ja32') return pc + 1 + insn.imm;
  return undefined;
}

function checkFields(insn: Insn, pc: number, n: number, wideTail: Uint8Array, insns: Insn[], opts: ValidateOptions): void {
  const info = OPCODES.get(insn.opcode);
  const fail = (msg: string): never => {
    throw new ValidationError(`${msg} at PC ${pc}`, pc);
  };
  if (!info) fail(`unknown opcode 0x${insn.opcode.toString(16).padStart(2, '0')}`);
  const k = info!.kind;
  if (insn.src > 10) fail('invalid source register');
  // r10 is read-only: only a store may use it, and only as the base address.
  const dstIsBase = k === 'st' || k === 'stx' || k === 'atomic' || k === 'jcond' || k === 'callx';
  if (insn.dst > (dstIsBase ? 10 : 9)) fail('invalid destination register');

  switch (k) {
    case 'alu': {
      const code = aluCode(insn.opcode);
      const offOk = (code === ALU_DIV || code === ALU_MOD) ? insn.off === 0 || insn.off === 1
        : code === ALU_MOV && info!.srcReg ? insn.off === 0 || insn.off === 8 || insn.off === 16 || (insn.off === 32 && !info!.is32)
          : insn.off === 0;
      if (!offOk) fail('invalid offset');
      if (info!.srcReg ? insn.imm !== 0 : insn.src !== 0) fail(info!.srcReg ? 'nonzero imm in register form' : 'invalid src field');
      break;
    }
    case 'neg':
      if (insn.src !== 0) fail('invalid src field for neg op');
      if (insn.off !== 0 || insn.imm !== 0) fail('reserved field must be zero for neg op');
      break;
    case 'end':
      if (insn.src !== 0 || insn.off !== 0) fail('reserved field must be zero for endian op');
      if (insn.imm !== 16 && insn.imm !== 32 && insn.imm !== 64) fail('invalid endian immediate');
      break;
    case 'ld_imm64': {
      if (insn.src !== 0) fail('invalid source register for LDDW');
      if (insn.off !== 0) fail('invalid offset for LDDW');
      const next = insns[pc + 1]!;
      if (next.opcode !== 0) fail('incomplete lddw');
      if (next.dst !== 0 || next.src !== 0 || next.off !== 0) fail('invalid lddw second half');
      break;
    }
    case 'ld_packet':
      fail(`unsupported legacy packet instruction ${info!.name}`);
      break;
    case 'ldx':
    case 'ldxs':
      if (insn.imm !== 0) fail('reserved imm must be zero for load');
      break;
    case 'st':
      if (insn.src !== 0) fail('reserved src must be zero for store immediate');
      break;
    case 'stx':
      if (insn.imm !== 0) fail('reserved imm must be zero for store');
      break;
    case 'atomic':
      if (!ATOMIC_OPS.has(insn.imm)) fail('invalid atomic operation');
      break;
    case 'ja':
      if (insn.dst !== 0 || insn.src !== 0 || insn.imm !== 0) fail('reserved field must be zero for ja');
      break;
    case 'ja32':
      if (insn.dst !== 0 || insn.src !== 0 || insn.off !== 0) fail('reserved field must be zero for ja32');
      break;
    case 'jcond':
      if (info!.srcReg ? insn.imm !== 0 : insn.src !== 0) fail('reserved field must be zero for jump');
      break;
    case 'call':
      if (insn.dst !== 0 || insn.off !== 0) fail('reserved field must be zero for call');
      if (insn.src === CALL_HELPER) {
        if (insn.imm < 0) fail('invalid call immediate');
        if (opts.isHelper && !opts.isHelper(insn.imm)) fail(`call to nonexistent function ${insn.imm}`);
      } else if (insn.src === CALL_LOCAL) {
        const t = pc + 1 + insn.imm;
        if (t < 0 || t >= n || wideTail[t]) {
          throw new ValidationError(`call to local function (at PC ${pc}) is out of bounds (target: ${t})`, pc);
        }
      } else if (insn.src === 2) {
        fail('call to external function by BTF ID is not supported');
      } else {
        throw new ValidationError(`call (at PC ${pc}) contains invalid type value`, pc);
      }
      break;
    case 'callx':
      if (insn.src !== 0 || insn.off !== 0 || insn.imm !== 0) fail('reserved field must be zero for callx');
      break;
    case 'exit':
      if (insn.dst !== 0 || insn.src !== 0 || insn.off !== 0 || insn.imm !== 0) fail('reserved field must be zero for exit');
      break;
  }

  const target = jumpTarget(insn, pc);
  if (target !== undefined) {
    if (target === pc) fail('infinite loop');
    if (target < 0 || target >= n) fail('jump out of bounds');
    if (wideTail[target]) fail('jump to middle of lddw');
  }
}
