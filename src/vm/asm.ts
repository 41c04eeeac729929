/**
 * Assembler for the syntax of bpf_conformance's `.data` test files (`-- asm` sections).
 *
 * One statement per line; `#` or `;` starts a comment. `name:` defines a label (an instruction
 * may follow it on the same line). Registers are `%r0`..`%r10`, memory operands
 * `[%rN+off]`, `[%rN-off]` or `[%rN]`, jump targets `+N`, `-N` or a label. The label `exit`
 * names the first `exit` instruction unless the source defines it. Mnemonics come from the
 * opcode table in isa.ts plus the field-dependent spellings: `sdiv`/`smod` (offset 1),
 * `movsx{8,16}32` and `movsx{8,16,32}64`, `le`/`be`/`bswap`/`swap` with a width,
 * `lock [fetch] op[32]`, `call imm|%rN|local target|runtime imm`, and `.insn 0x<u64>, ...`
 * for raw slots. Every failure is an AsmError naming the 1-based line.
 */

import { AsmError } from './errors.js';
import {
  ALU_DIV,
  ALU_MOD,
  ALU_MOV,
  ATOMIC_FETCH,
  ATOMIC_OPS,
  CALL_BTF,
  CALL_HELPER,
  CALL_LOCAL,
  INSN_SIZE,
  OPCODES,
  OP_CALL,
  OP_CALLX,
  aluCode,
  decodeInsn,
  encodeInsn,
  type Insn,
} from './isa.js';
import { MAX_REGISTER, RAW_DIRECTIVE, isLabelName, parseIntLiteral } from './asm-syntax.js';

/** How a mnemonic's operands are read. */
type Form =
  | { kind: 'alu'; k: number | undefined; x: number | undefined; off: number }
  | { kind: 'movsx'; opcode: number; off: number }
  | { kind: 'unary'; opcode: number; imm: number }
  | { kind: 'lddw'; opcode: number }
  | { kind: 'ldabs'; opcode: number }
  | { kind: 'ldind'; opcode: number }
  | { kind: 'load'; opcode: number }
  | { kind: 'st'; opcode: number }
  | { kind: 'stx'; opcode: number }
  | { kind: 'ja'; opcode: number }
  | { kind: 'ja32'; opcode: number }
  | { kind: 'jcond'; k: number | undefined; x: number | undefined }
  | { kind: 'call' }
  | { kind: 'callx' }
  | { kind: 'exit'; opcode: number }
  | { kind: 'raw' };

interface LockForm {
  opcode: number;
  imm: number;
}

/** Widths of the `le`/`be`/`bswap` mnemonics. */
const END_WIDTHS = [16, 32, 64] as const;

function buildForms(): { forms: Map<string, Form>; locks: Map<string, LockForm> } {
  const forms = new Map<string, Form>();
  const locks = new Map<string, LockForm>();
  const twoForm = (name: string, opcode: number, srcReg: boolean, kind: 'alu' | 'jcond', off = 0): void => {
    const prev = forms.get(name);
    const entry: Form =
      prev && prev.kind === kind
        ? prev
        : kind === 'alu'
          ? { kind, k: undefined, x: undefined, off }
          : { kind, k: undefined, x: undefined };
    if (srcReg) entry.x = opcode;
    else entry.k = opcode;
    forms.set(name, entry);
  };
  for (const info of OPCODES.values()) {
    const { opcode, name } = info;
    switch (info.kind) {
      case 'alu': {
        twoForm(name, opcode, info.srcReg, 'alu');
        const code = aluCode(opcode);
        if (code === ALU_DIV || code === ALU_MOD) twoForm(`s${name}`, opcode, info.srcReg, 'alu', 1);
        if (code === ALU_MOV && info.srcReg) {
          const widths = info.is32 ? [8, 16] : [8, 16, 32];
          for (const w of widths) forms.set(`movsx${w}${info.is32 ? 32 : 64}`, { kind: 'movsx', opcode, off: w });
        }
        break;
      }
      case 'neg':
        forms.set(name, { kind: 'unary', opcode, imm: 0 });
        break;
      case 'end':
        for (const w of END_WIDTHS) {
          forms.set(`${name}${w}`, { kind: 'unary', opcode, imm: w });
          if (name === 'bswap') forms.set(`swap${w}`, { kind: 'unary', opcode, imm: w });
        }
        break;
      case 'ld_imm64':
        forms.set(name, { kind: 'lddw', opcode });
        break;
      case 'ld_packet':
        forms.set(name, info.srcReg ? { kind: 'ldind', opcode } : { kind: 'ldabs', opcode });
        break;
      case 'ldx':
      case 'ldxs':
        forms.set(name, { kind: 'load', opcode });
        break;
      case 'st':
        forms.set(name, { kind: 'st', opcode });
        break;
      case 'stx':
        forms.set(name, { kind: 'stx', opcode });
        break;
      case 'atomic':
        for (const [imm, opName] of ATOMIC_OPS) {
          const suffix = info.is32 ? '32' : '';
          locks.set(`${opName}${suffix}`, { opcode, imm });
          // xchg and cmpxchg always fetch; accept a redundant `fetch`.
          if (!opName.startsWith('fetch') && (imm & ATOMIC_FETCH) !== 0) {
            locks.set(`fetch ${opName}${suffix}`, { opcode, imm });
          }
        }
        break;
      case 'ja':
        forms.set(name, { kind: 'ja', opcode });
        break;
      case 'ja32':
        forms.set(name, { kind: 'ja32', opcode });
        break;
      case 'jcond':
        twoForm(name, opcode, info.srcReg, 'jcond');
        break;
      case 'call':
        forms.set(name, { kind: 'call' });
        break;
      case 'callx':
        forms.set(name, { kind: 'callx' });
        break;
      case 'exit':
        forms.set(name, { kind: 'exit', opcode });
        break;
    }
  }
  forms.set(RAW_DIRECTIVE, { kind: 'raw' });
  return { forms, locks };
}

const TABLES = buildForms();

/** Every mnemonic the assembler accepts (`lock` forms as `lock <op>`), sorted. */
export const MNEMONICS: readonly string[] = [
  ...TABLES.forms.keys(),
  ...[...TABLES.locks.keys()].map((k) => `lock ${k}`),
].sort();

const S16_MIN = -0x8000n;
const S16_MAX = 0x7fffn;
const S32_MIN = -0x80000000n;
const S32_MAX = 0x7fffffffn;
const U32_MAX = 0xffffffffn;
const S64_MIN = -(1n << 63n);
const U64_MAX = (1n << 64n) - 1n;

/** A token quoted for an error message, cut short if the input is huge. */
function show(token: string): string {
  return token.length > 40 ? `'${token.slice(0, 40)}...'` : `'${token}'`;
}

/**
 * Splits an operand list: commas outside brackets separate operands and whitespace outside
 * brackets separates words (so `lock fetch add [%r1], %r2` gives four tokens); whitespace
 * inside brackets is dropped. An empty operand between commas is an error.
 */
function splitOperands(text: string, line: number): string[] {
  const parts: string[] = [];
  let cur = '';
  let depth = 0;
  for (const ch of text) {
    if (ch === '[') depth++;
    else if (ch === ']' && depth > 0) depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  parts.push(cur);
  if (parts.length === 1 && parts[0]!.trim() === '') return [];
  const tokens: string[] = [];
  for (const part of parts) {
    const trimmed = part.trim();
    if (trimmed === '') throw new AsmError('Invalid operand count: empty operand between commas', line);
    let word = '';
    depth = 0;
    for (const ch of trimmed) {
      if (ch === '[') depth++;
      else if (ch === ']' && depth > 0) depth--;
      if (/\s/.test(ch)) {
        if (depth > 0) continue;
        if (word !== '') tokens.push(word);
        word = '';
      } else {
        word += ch;
      }
    }
    if (word !== '') tokens.push(word);
  }
  return tokens;
}

interface Fixup {
  slot: number;
  label: string;
  field: 'off' | 'imm';
  line: number;
}

class Assembler {
  private readonly insns: Insn[] = [];
  private readonly labels = new Map<string, { slot: number; line: number }>();
  private firstExit: number | undefined;
  private readonly fixups: Fixup[] = [];
  private line = 0;

  run(source: string): Uint8Array {
    const lines = source.split(/\r\n|\n|\r/);
    for (let i = 0; i < lines.length; i++) {
      this.line = i + 1;
      this.guard(() => this.statement(lines[i]!));
    }
    this.line = 0;
    this.guard(() => this.resolve());
    const out = new Uint8Array(this.insns.length * INSN_SIZE);
    this.insns.forEach((insn, pc) => encodeInsn(insn, out, pc));
    return out;
  }

  /** Runs a step and turns anything that is not an AsmError into one (a bug, but never a crash). */
  private guard(step: () => void): void {
    try {
      step();
    } catch (e) {
      if (e instanceof AsmError) throw e;
      throw new AsmError(`Internal assembler error: ${e instanceof Error ? e.message : String(e)}`, this.line);
    }
  }

  private fail(message: string): never {
    throw new AsmError(message, this.line);
  }

  private statement(raw: string): void {
    let text = raw;
    const comment = text.search(/[#;]/);
    if (comment >= 0) text = text.slice(0, comment);
    // Labels first (any number of them), then at most one instruction.
    const word = /\s*(\S+)/y;
    let mnemonic: string;
    for (;;) {
      const m = word.exec(text);
      if (m === null) return;
      if (!m[1]!.endsWith(':')) {
        mnemonic = m[1]!;
        break;
      }
      this.defineLabel(m[1]!.slice(0, -1));
    }
    const rest = text.slice(word.lastIndex);
    const ops = splitOperands(rest, this.line);
    if (mnemonic === 'lock') {
      this.lock(ops);
      return;
    }
    const form = TABLES.forms.get(mnemonic);
    if (form === undefined) this.fail(`Invalid mnemonic: ${show(mnemonic)}`);
    this.instruction(mnemonic, form, ops);
  }

  private defineLabel(name: string): void {
    if (!isLabelName(name)) this.fail(`Invalid label: ${show(name)}`);
    const prev = this.labels.get(name);
    if (prev !== undefined) this.fail(`Duplicate label: '${name}' (first defined at line ${prev.line})`);
    this.labels.set(name, { slot: this.insns.length, line: this.line });
  }

  private expectCount(mnemonic: string, ops: string[], ...counts: number[]): void {
    if (!counts.includes(ops.length)) {
      this.fail(`Invalid operand count for ${mnemonic}: expected ${counts.join(' or ')}, got ${ops.length}`);
    }
  }

  private emit(opcode: number, fields: Partial<Omit<Insn, 'opcode'>> = {}): number {
    const slot = this.insns.length;
    this.insns.push({ opcode, dst: fields.dst ?? 0, src: fields.src ?? 0, off: fields.off ?? 0, imm: fields.imm ?? 0 });
    return slot;
  }

  private instruction(mnemonic: string, form: Form, ops: string[]): void {
    switch (form.kind) {
      case 'alu': {
        this.expectCount(mnemonic, ops, 2);
        const dst = this.register(ops[0]!);
        if (ops[1]!.startsWith('%')) {
          if (form.x === undefined) this.fail(`Invalid operand: ${mnemonic} takes no register source`);
          this.emit(form.x, { dst, src: this.register(ops[1]!), off: form.off });
        } else {
          if (form.k === undefined) this.fail(`Invalid operand: ${mnemonic} takes no immediate`);
          this.emit(form.k, { dst, imm: this.imm32(ops[1]!), off: form.off });
        }
        return;
      }
      case 'movsx': {
        this.expectCount(mnemonic, ops, 2);
        const dst = this.register(ops[0]!);
        if (!ops[1]!.startsWith('%')) this.fail(`Invalid register: ${mnemonic} needs a register source, got ${show(ops[1]!)}`);
        this.emit(form.opcode, { dst, src: this.register(ops[1]!), off: form.off });
        return;
      }
      case 'unary':
        this.expectCount(mnemonic, ops, 1);
        this.emit(form.opcode, { dst: this.register(ops[0]!), imm: form.imm });
        return;
      case 'lddw': {
        this.expectCount(mnemonic, ops, 2);
        const dst = this.register(ops[0]!);
        const [lo, hi] = this.imm64(ops[1]!);
        this.emit(form.opcode, { dst, imm: lo });
        this.emit(0, { imm: hi });
        return;
      }
      case 'ldabs':
        this.expectCount(mnemonic, ops, 1);
        this.emit(form.opcode, { imm: this.imm32(ops[0]!) });
        return;
      case 'ldind':
        this.expectCount(mnemonic, ops, 2);
        this.emit(form.opcode, { src: this.register(ops[0]!), imm: this.imm32(ops[1]!) });
        return;
      case 'load': {
        this.expectCount(mnemonic, ops, 2);
        const dst = this.register(ops[0]!);
        const [src, off] = this.memory(ops[1]!);
        this.emit(form.opcode, { dst, src, off });
        return;
      }
      case 'st': {
        this.expectCount(mnemonic, ops, 2);
        const [dst, off] = this.memory(ops[0]!);
        this.emit(form.opcode, { dst, off, imm: this.imm32(ops[1]!) });
        return;
      }
      case 'stx': {
        this.expectCount(mnemonic, ops, 2);
        const [dst, off] = this.memory(ops[0]!);
        this.emit(form.opcode, { dst, off, src: this.register(ops[1]!) });
        return;
      }
      case 'ja': {
        this.expectCount(mnemonic, ops, 1);
        const slot = this.emit(form.opcode);
        this.insns[slot]!.off = this.target(ops[0]!, 'off', slot);
        return;
      }
      case 'ja32': {
        this.expectCount(mnemonic, ops, 1);
        const slot = this.emit(form.opcode);
        this.insns[slot]!.imm = this.target(ops[0]!, 'imm', slot);
        return;
      }
      case 'jcond': {
        this.expectCount(mnemonic, ops, 3);
        const dst = this.register(ops[0]!);
        let slot: number;
        if (ops[1]!.startsWith('%')) {
          if (form.x === undefined) this.fail(`Invalid operand: ${mnemonic} takes no register source`);
          slot = this.emit(form.x, { dst, src: this.register(ops[1]!) });
        } else {
          if (form.k === undefined) this.fail(`Invalid operand: ${mnemonic} takes no immediate`);
          slot = this.emit(form.k, { dst, imm: this.imm32(ops[1]!) });
        }
        this.insns[slot]!.off = this.target(ops[2]!, 'off', slot);
        return;
      }
      case 'call':
        this.call(ops);
        return;
      case 'callx':
        this.expectCount(mnemonic, ops, 1);
        this.emit(OP_CALLX, { dst: this.register(ops[0]!) });
        return;
      case 'exit': {
        this.expectCount(mnemonic, ops, 0);
        const slot = this.emit(form.opcode);
        if (this.firstExit === undefined) this.firstExit = slot;
        return;
      }
      case 'raw':
        this.raw(ops);
        return;
    }
  }

  /** `call imm`, `call %rN`, `call helper imm|%rN`, `call local target`, `call runtime imm`. */
  private call(ops: string[]): void {
    this.expectCount('call', ops, 1, 2);
    const mode = ops.length === 2 ? ops[0]! : 'helper';
    const operand = ops[ops.length - 1]!;
    switch (mode) {
      case 'helper':
        if (operand.startsWith('%')) this.emit(OP_CALLX, { dst: this.register(operand) });
        else this.emit(OP_CALL, { src: CALL_HELPER, imm: this.imm32(operand) });
        return;
      case 'local': {
        const slot = this.emit(OP_CALL, { src: CALL_LOCAL });
        this.insns[slot]!.imm = this.target(operand, 'imm', slot);
        return;
      }
      case 'runtime':
        this.emit(OP_CALL, { src: CALL_BTF, imm: this.imm32(operand) });
        return;
      default:
        this.fail(`Invalid call mode: ${show(mode)} (expected helper, local or runtime)`);
    }
  }

  /** `lock [fetch] op[32] [%rD+off], %rS`. */
  private lock(ops: string[]): void {
    const fetch = ops[0] === 'fetch';
    const rest = fetch ? ops.slice(1) : ops;
    if (rest.length !== 3) {
      this.fail(`Invalid number of operands for lock: expected 'lock [fetch] <op> [%rD+off], %rS', got ${ops.length} operands`);
    }
    const key = `${fetch ? 'fetch ' : ''}${rest[0]!}`;
    const form = TABLES.locks.get(key);
    if (form === undefined) this.fail(`Invalid mnemonic: ${show(`lock ${key}`)}`);
    const [dst, off] = this.memory(rest[1]!);
    this.emit(form.opcode, { dst, off, src: this.register(rest[2]!), imm: form.imm });
  }

  /** `.insn v[, v...]`: each v is one raw slot, the little-endian 64-bit value of its 8 bytes. */
  private raw(ops: string[]): void {
    if (ops.length === 0) this.fail(`Invalid operand count for ${RAW_DIRECTIVE}: expected at least 1, got 0`);
    const buf = new Uint8Array(INSN_SIZE);
    for (const op of ops) {
      const lit = parseIntLiteral(op);
      if (lit === undefined || lit.value < 0n || lit.value > U64_MAX) {
        this.fail(`Invalid immediate: ${show(op)} is not a 64-bit slot value`);
      }
      let v = lit.value;
      for (let i = 0; i < INSN_SIZE; i++) {
        buf[i] = Number(v & 0xffn);
        v >>= 8n;
      }
      this.insns.push(decodeInsn(buf, 0));
    }
  }

  private register(token: string): number {
    const m = /^%r([0-9]{1,2})$/.exec(token);
    const r = m === null ? NaN : Number(m[1]);
    if (!(r >= 0 && r <= MAX_REGISTER)) this.fail(`Invalid register: ${show(token)}`);
    return r;
  }

  /** Decimal in [INT32_MIN, INT32_MAX] or hex up to 0xffffffff (optionally negated). */
  private imm32(token: string): number {
    const lit = parseIntLiteral(token);
    if (lit === undefined) this.fail(`Invalid immediate: ${show(token)}`);
    const max = lit.hex ? U32_MAX : S32_MAX;
    if (lit.value < S32_MIN || lit.value > max) {
      this.fail(`Invalid immediate: ${show(token)} does not fit in 32 bits`);
    }
    return Number(BigInt.asIntN(32, lit.value));
  }

  /** lddw's constant: hex or decimal in [INT64_MIN, UINT64_MAX]; returns [low imm, high imm]. */
  private imm64(token: string): [number, number] {
    const lit = parseIntLiteral(token);
    if (lit === undefined) this.fail(`Invalid immediate: ${show(token)}`);
    if (lit.value < S64_MIN || lit.value > U64_MAX) {
      this.fail(`Invalid immediate: ${show(token)} does not fit in 64 bits`);
    }
    const u = BigInt.asUintN(64, lit.value);
    return [Number(BigInt.asIntN(32, u)), Number(BigInt.asIntN(32, u >> 32n))];
  }

  /** `[%rN]`, `[%rN+off]` or `[%rN-off]`, off decimal or hex, fitting in a signed 16-bit field. */
  private memory(token: string): [number, number] {
    if (!token.startsWith('[') || !token.endsWith(']') || token.length < 2) {
      this.fail(`Invalid offset: expected a memory operand like [%r1+8], got ${show(token)}`);
    }
    const inner = token.slice(1, -1);
    const sign = inner.search(/[+-]/);
    if (sign < 0) return [this.register(inner), 0];
    const reg = this.register(inner.slice(0, sign));
    const digits = inner.slice(sign + 1);
    const lit = /^[0-9]/.test(digits) ? parseIntLiteral(digits) : undefined;
    if (lit === undefined) this.fail(`Invalid offset: ${show(inner.slice(sign))} in ${show(token)}`);
    const off = inner[sign] === '-' ? -lit.value : lit.value;
    if (off < S16_MIN || off > S16_MAX) this.fail(`Invalid offset: ${show(token)} does not fit in 16 bits`);
    return [reg, Number(off)];
  }

  /**
   * A jump or local-call target: `+N`/`-N` (slots after the next instruction) or a label,
   * resolved at the end. `field` is where it goes: `off` (16 bits) or `imm` (32 bits).
   */
  private target(token: string, field: 'off' | 'imm', slot: number): number {
    if (token.startsWith('+') || token.startsWith('-')) {
      const lit = parseIntLiteral(token);
      if (lit === undefined) this.fail(`Invalid offset: ${show(token)}`);
      this.checkRelative(lit.value, field, token);
      return Number(lit.value);
    }
    if (!isLabelName(token)) this.fail(`Invalid jump target: ${show(token)} (expected +N, -N or a label)`);
    this.fixups.push({ slot, label: token, field, line: this.line });
    return 0;
  }

  private checkRelative(rel: bigint, field: 'off' | 'imm', what: string): void {
    const [min, max, bits] = field === 'off' ? [S16_MIN, S16_MAX, 16] : [S32_MIN, S32_MAX, 32];
    if (rel < min || rel > max) this.fail(`Invalid offset: ${what} (${rel}) does not fit in ${bits} bits`);
  }

  private resolve(): void {
    for (const f of this.fixups) {
      this.line = f.line;
      const target = this.labels.get(f.label)?.slot ?? (f.label === 'exit' ? this.firstExit : undefined);
      if (target === undefined) this.fail(`Unknown label: '${f.label}'`);
      const rel = target - (f.slot + 1);
      this.checkRelative(BigInt(rel), f.field, `jump to '${f.label}'`);
      this.insns[f.slot]![f.field] = rel;
    }
  }
}

/**
 * Assembles bpf_conformance-style assembly into raw bytecode (8 bytes per slot, `lddw` taking
 * two). Throws AsmError, and nothing else, on any malformed input.
 */
export function assemble(source: string): Uint8Array {
  return new Assembler().run(source);
}
