/**
 * Disassembler: prints instructions in exactly the syntax `assemble` reads, so that
 * `assemble(disassembleInsn(code, pc))` gives back the instruction's bytes.
 *
 * An encoding the assembler cannot spell (unknown opcode, nonzero reserved field, register
 * above r10, bad width or atomic operation, lddw without its second slot) is printed as a
 * raw `.insn 0x<u64>` line with a comment saying what it would be and what is wrong; the
 * assembler reads that back too. Nothing here throws.
 */

import {
  ALU_AND,
  ALU_DIV,
  ALU_MOD,
  ALU_MOV,
  ALU_OR,
  ALU_XOR,
  ATOMIC_OPS,
  CALL_BTF,
  CALL_HELPER,
  CALL_LOCAL,
  INSN_SIZE,
  JMP_JSET,
  OPCODES,
  OP_LDDW,
  aluCode,
  decodeInsn,
  jmpCode,
  lddwValue,
  type Insn,
} from './isa.js';
import {
  MAX_REGISTER,
  RAW_DIRECTIVE,
  formatMemory,
  formatRelative,
  formatSlot,
  isLabelName,
} from './asm-syntax.js';

export interface DisasmOptions {
  /** Name of a helper id, appended as a comment to `call <id>` (`call 35 # my_memcpy`). */
  helperName?: (id: number) => string | undefined;
}

/** A function of a listing: a `name:` header is printed before its first slot. */
export interface ListingFunction {
  name: string;
  pc: number;
  length: number;
}

export interface DisassembleOptions extends DisasmOptions {
  functions?: ListingFunction[];
  /** Comments by pc (relocations, helper names...), printed as `; text` on that pc's line. */
  annotations?: Map<number, string>;
  /** Print jump and local-call targets as labels (`L12`, or the function's name) when they land on an instruction. */
  labels?: boolean;
  /** Prefix each instruction with its pc (default true). Without pcs and with labels the listing assembles back. */
  showPc?: boolean;
}

/** One rendered instruction. */
interface Rendered {
  text: string;
  /** Slots it covers: 2 for a complete lddw, else 1. */
  slots: number;
  /** Absolute target pc of a jump or local call. */
  target: number | undefined;
  /** False when printed as `.insn`. */
  canonical: boolean;
}

type TargetName = (pc: number) => string | undefined;

function slotsIn(code: Uint8Array): number {
  return Math.floor(code.length / INSN_SIZE);
}

/** ALU and jump ops whose immediates read best in hex. */
function isBitwise(opcode: number, jump: boolean): boolean {
  if (jump) return jmpCode(opcode) === JMP_JSET;
  const code = aluCode(opcode);
  return code === ALU_AND || code === ALU_OR || code === ALU_XOR;
}

function formatImm(imm: number, hex: boolean): string {
  return hex && imm > 255 ? `0x${imm.toString(16)}` : `${imm}`;
}

/** Slots an instruction at pc covers (lddw takes two when its second slot exists). */
function widthAt(code: Uint8Array, pc: number, n: number): number {
  return code[pc * INSN_SIZE] === OP_LDDW && pc + 1 < n ? 2 : 1;
}

function render(code: Uint8Array, pc: number, opts: DisasmOptions | undefined, targetName?: TargetName): Rendered {
  const n = slotsIn(code);
  if (!Number.isInteger(pc) || pc < 0 || pc >= n) {
    return { text: `# pc ${pc} out of range (${n} slots)`, slots: 1, target: undefined, canonical: false };
  }
  const insn = decodeInsn(code, pc);
  const info = OPCODES.get(insn.opcode);
  const opHex = `0x${insn.opcode.toString(16).padStart(2, '0')}`;
  if (info === undefined) {
    return { text: `${RAW_DIRECTIVE} ${formatSlot(code, pc)} # invalid opcode ${opHex}`, slots: 1, target: undefined, canonical: false };
  }
  const bad: string[] = [];
  const reg = (r: number, field: string): string => {
    if (r > MAX_REGISTER) bad.push(`${field}=r${r}`);
    return `%r${r}`;
  };
  const zero = (...fields: (keyof Omit<Insn, 'opcode'>)[]): void => {
    for (const f of fields) if (insn[f] !== 0) bad.push(`${f}=${insn[f]}`);
  };
  let target: number | undefined;
  const jumpTo = (rel: number): string => {
    target = pc + 1 + rel;
    return targetName?.(target) ?? formatRelative(rel);
  };
  const dst = (): string => reg(insn.dst, 'dst');
  const src = (): string => reg(insn.src, 'src');
  let slots = 1;
  let text: string;
  let comment = '';

  switch (info.kind) {
    case 'alu': {
      const code = aluCode(insn.opcode);
      let name = info.name;
      if (code === ALU_DIV || code === ALU_MOD) {
        if (insn.off === 1) name = `s${name}`;
        else zero('off');
      } else if (code === ALU_MOV && info.srcReg && insn.off !== 0) {
        const widths = info.is32 ? [8, 16] : [8, 16, 32];
        if (widths.includes(insn.off)) name = `movsx${insn.off}${info.is32 ? 32 : 64}`;
        else zero('off');
      } else {
        zero('off');
      }
      if (info.srcReg) {
        zero('imm');
        text = `${name} ${dst()}, ${src()}`;
      } else {
        zero('src');
        text = `${name} ${dst()}, ${formatImm(insn.imm, isBitwise(insn.opcode, false))}`;
      }
      break;
    }
    case 'neg':
      zero('src', 'off', 'imm');
      text = `${info.name} ${dst()}`;
      break;
    case 'end':
      zero('src', 'off');
      if (insn.imm !== 16 && insn.imm !== 32 && insn.imm !== 64) bad.push(`imm=${insn.imm} (width must be 16, 32 or 64)`);
      text = `${info.name}${insn.imm} ${dst()}`;
      break;
    case 'ld_imm64': {
      zero('src', 'off');
      if (pc + 1 >= n) {
        bad.push('second slot missing');
        text = `lddw ${dst()}, 0x${(insn.imm >>> 0).toString(16)}`;
        break;
      }
      slots = 2;
      const next = decodeInsn(code, pc + 1);
      for (const f of ['opcode', 'dst', 'src', 'off'] as const) if (next[f] !== 0) bad.push(`next.${f}=${next[f]}`);
      text = `lddw ${dst()}, 0x${lddwValue(code, pc).toString(16)}`;
      break;
    }
    case 'ld_packet':
      if (info.srcReg) {
        zero('dst', 'off');
        text = `${info.name} ${src()}, ${insn.imm}`;
      } else {
        zero('dst', 'src', 'off');
        text = `${info.name} ${insn.imm}`;
      }
      break;
    case 'ldx':
    case 'ldxs':
      zero('imm');
      text = `${info.name} ${dst()}, ${formatMemory(insn.src, insn.off)}`;
      src();
      break;
    case 'st':
      zero('src');
      text = `${info.name} ${formatMemory(insn.dst, insn.off)}, ${insn.imm}`;
      dst();
      break;
    case 'stx':
      zero('imm');
      text = `${info.name} ${formatMemory(insn.dst, insn.off)}, ${src()}`;
      dst();
      break;
    case 'atomic': {
      const op = ATOMIC_OPS.get(insn.imm);
      if (op === undefined) bad.push(`imm=0x${(insn.imm >>> 0).toString(16)} (unknown atomic operation)`);
      text = `lock ${op ?? '?'}${info.is32 ? '32' : ''} ${formatMemory(insn.dst, insn.off)}, ${src()}`;
      dst();
      break;
    }
    case 'ja':
      zero('dst', 'src', 'imm');
      text = `ja ${jumpTo(insn.off)}`;
      break;
    case 'ja32':
      zero('dst', 'src', 'off');
      text = `ja32 ${jumpTo(insn.imm)}`;
      break;
    case 'jcond': {
      let right: string;
      if (info.srcReg) {
        zero('imm');
        right = src();
      } else {
        zero('src');
        right = formatImm(insn.imm, isBitwise(insn.opcode, true));
      }
      text = `${info.name} ${dst()}, ${right}, ${jumpTo(insn.off)}`;
      break;
    }
    case 'call':
      zero('dst', 'off');
      if (insn.src === CALL_LOCAL) {
        text = `call local ${jumpTo(insn.imm)}`;
      } else if (insn.src === CALL_BTF) {
        text = `call runtime ${insn.imm}`;
      } else {
        if (insn.src !== CALL_HELPER) bad.push(`src=${insn.src} (unknown call kind)`);
        text = `call ${insn.imm}`;
        const name = safeName(opts?.helperName, insn.imm);
        if (name !== undefined) comment = ` # ${name}`;
      }
      break;
    case 'callx':
      zero('src', 'off', 'imm');
      text = `call ${dst()}`;
      break;
    case 'exit':
      zero('dst', 'src', 'off', 'imm');
      text = 'exit';
      break;
  }

  if (bad.length > 0) {
    const raw = slots === 2 ? `${formatSlot(code, pc)}, ${formatSlot(code, pc + 1)}` : formatSlot(code, pc);
    return { text: `${RAW_DIRECTIVE} ${raw} # ${text} (${bad.join(', ')})`, slots, target, canonical: false };
  }
  return { text: text + comment, slots, target, canonical: true };
}

/** A helper's name from a user callback, which must not be able to make the disassembler throw. */
function safeName(lookup: ((id: number) => string | undefined) | undefined, id: number): string | undefined {
  if (lookup === undefined) return undefined;
  try {
    const name = lookup(id);
    return typeof name === 'string' && name !== '' ? name.replace(/[\r\n]/g, ' ') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One instruction (both slots for lddw) in assembler syntax. Jump and local-call targets are
 * relative (`+N`/`-N`). Never throws: bad encodings and bad pcs give a readable raw line.
 */
export function disassembleInsn(code: Uint8Array, pc: number, opts?: DisasmOptions): string {
  return render(code, pc, opts).text;
}

/**
 * A listing of the whole program: `  pc: text` per instruction (an lddw's second slot gets no
 * line but is counted), `name:` before each function, annotations as `; text` comments.
 */
export function disassemble(code: Uint8Array, opts: DisassembleOptions = {}): string {
  const n = slotsIn(code);
  const starts: number[] = [];
  const isStart = new Uint8Array(n + 1);
  for (let pc = 0; pc < n; pc += widthAt(code, pc, n)) {
    starts.push(pc);
    isStart[pc] = 1;
  }
  isStart[n] = 1;

  // Function headers, and the name a jump to that pc may use.
  const headers = new Map<number, string[]>();
  const names = new Map<number, string>();
  const used = new Set<string>();
  for (const f of opts.functions ?? []) {
    const list = headers.get(f.pc) ?? [];
    list.push(f.name);
    headers.set(f.pc, list);
    if (!names.has(f.pc) && isLabelName(f.name) && !used.has(f.name)) {
      names.set(f.pc, f.name);
      used.add(f.name);
    }
  }

  // Labels for every jump target that lands on an instruction (or just past the end).
  const labels = new Map<number, string>();
  if (opts.labels === true) {
    for (const pc of starts) {
      const r = render(code, pc, opts);
      const t = r.target;
      if (!r.canonical || t === undefined || t < 0 || t > n || isStart[t] !== 1) continue;
      if (labels.has(t)) continue;
      let name = names.get(t);
      if (name === undefined) {
        name = `L${t}`;
        while (used.has(name)) name = `${name}_`;
        used.add(name);
      }
      labels.set(t, name);
    }
  }
  const targetName: TargetName | undefined = opts.labels === true ? (t) => labels.get(t) : undefined;

  const width = String(Math.max(0, n - 1)).length;
  const showPc = opts.showPc !== false;
  const lines: string[] = [];
  const header = (pc: number): void => {
    const fns = headers.get(pc) ?? [];
    for (const name of fns) lines.push(`${name}:`);
    const label = labels.get(pc);
    if (label !== undefined && !fns.includes(label)) lines.push(`${label}:`);
  };
  for (const pc of starts) {
    header(pc);
    const r = render(code, pc, opts, targetName);
    let line = r.text;
    // Without labels, say which function a local call enters.
    if (opts.labels !== true && r.canonical && r.target !== undefined && line.startsWith('call local')) {
      const fn = names.get(r.target);
      if (fn !== undefined) line += ` # ${fn}`;
    }
    for (let s = pc; s < pc + r.slots; s++) {
      const note = opts.annotations?.get(s);
      if (note !== undefined && note !== '') {
        const clean = note.replace(/[\r\n]/g, ' ');
        line += clean.startsWith(';') || clean.startsWith('#') ? ` ${clean}` : ` ; ${clean}`;
      }
    }
    lines.push(showPc ? `  ${String(pc).padStart(width)}: ${line}` : `  ${line}`);
  }
  header(n);
  const rest = code.length - n * INSN_SIZE;
  if (rest > 0) {
    const bytes = [...code.subarray(n * INSN_SIZE)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    lines.push(`# ${rest} trailing byte${rest === 1 ? '' : 's'}: ${bytes}`);
  }
  return lines.join('\n');
}
