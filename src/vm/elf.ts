/**
 * ELF loader: turns a BPF relocatable object written by clang (`clang -O2 -target bpf -c`,
 * clang 14 and later, with or without -g) into a ProgramImage.
 *
 * - Every executable section (SHT_PROGBITS, SHF_ALLOC|SHF_EXECINSTR) is copied whole into one
 *   code buffer, in section order, so calls that clang already resolved pc-relatively inside a
 *   section (static callees in the same section: `call N`, src 1, no relocation) stay correct.
 * - Every STT_FUNC symbol in such a section is a function.
 * - R_BPF_64_32 (and the legacy number 2, only inside code) on a call: against a defined symbol,
 *   the callee is at `st_value + (imm + 1) * 8` of the symbol's section (clang writes imm -1 for a
 *   function symbol, and the callee's offset for an STT_SECTION symbol); the call becomes a local
 *   call to the callee's linked pc. Against an undefined symbol it is a helper call by name.
 * - R_BPF_64_64 on an lddw: a DataReloc to `st_value + imm` of a data section.
 * - R_BPF_64_ABS64 / R_BPF_64_ABS32 (and R_BPF_64_NODYLD32, which clang 14 also emits for a
 *   32-bit pointer to writable data) inside data sections: SectionRelocs, addend read from the
 *   bytes at the place.
 * - .BTF, .BTF.ext, .debug_* and any other non-allocated section are ignored, together with the
 *   relocation sections that apply to them.
 *
 * The bytes patched by relocations are left zero in the image (the immediates of relocated lddw
 * pairs, the pointer slots in data sections): the relocation records carry the whole value.
 *
 * Every failure is an ElfError; nothing else escapes `loadElf` or `inspectElf`.
 */

import { ElfError } from './errors.js';
import { CALL_HELPER, CALL_LOCAL, INSN_SIZE, MAX_INSNS, OP_CALL, OP_LDDW, decodeInsn, encodeInsn } from './isa.js';
import type {
  DataReloc,
  DataSection,
  HelperReloc,
  ProgramFunction,
  ProgramImage,
  SectionReloc,
} from './program.js';
import {
  R_BPF_64_32,
  R_BPF_64_64,
  R_BPF_64_ABS32,
  R_BPF_64_ABS64,
  R_BPF_64_NODYLD32,
  R_BPF_NONE,
  SHF_WRITE,
  SHT_NOBITS,
  SHT_REL,
  STB_LOCAL,
  STT_FUNC,
  checkRelTargets,
  hasElfMagic,
  hex,
  isDataSection,
  isExecSection,
  parseElf,
  readRels,
  relSectionFor,
  relocTypeName,
  sectionFlagString,
  sectionTypeName,
  symbolSection,
  type ElfRel,
  type ElfSection,
  type ElfSymbol,
  type ParsedElf,
} from './elf-parse.js';

export interface ElfLoadOptions {
  /** Name of the entry function. Default: the function at offset 0 of `.text`; if `.text` is empty or absent, the first function of the first executable section. */
  entry?: string;
  /** Maximum number of instruction slots of the linked program (default MAX_INSNS). */
  maxInsns?: number;
}

export interface ElfInfo {
  machine: number;
  sections: { index: number; name: string; type: string; flags: string; offset: number; size: number }[];
  functions: { name: string; section: string; offset: number; size: number; global: boolean }[];
  /**
   * Relocations that apply to code and allocated data sections (not those of .BTF / .debug_*).
   * `addend` is A in S + A: the lddw immediate for R_BPF_64_64, `(imm + 1) * 8` for a call's
   * R_BPF_64_32, the bytes at the place for data relocations.
   */
  relocations: { section: string; offset: number; type: number; typeName: string; symbol: string; addend: number }[];
  /** Undefined symbols called through R_BPF_64_32, in order of first use. */
  helpers: string[];
}

/** Largest SHT_NOBITS (.bss) section the loader will allocate. */
export const MAX_NOBITS_SIZE = 16 * 1024 * 1024;
/** Largest data section alignment accepted. */
export const MAX_DATA_ALIGN = 4096;

/** True when the bytes start with the ELF magic `\x7fELF`. */
export function isElf(bytes: Uint8Array): boolean {
  return hasElfMagic(bytes);
}

/** Loads a BPF relocatable object; throws ElfError. */
export function loadElf(bytes: Uint8Array, opts: ElfLoadOptions = {}): ProgramImage {
  return guard(() => link(parseElf(bytes), opts));
}

/** Describes a BPF relocatable object without linking it; throws ElfError. */
export function inspectElf(bytes: Uint8Array): ElfInfo {
  return guard(() => inspect(parseElf(bytes)));
}

/**
 * Last line of defence: an exception that is not an ElfError is a loader bug; it is still
 * reported as an ElfError, with the original as `cause` (the fuzzers flag any error with a cause).
 */
function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ElfError) throw e;
    const err = new ElfError(
      'ELF_MALFORMED',
      `internal ELF loader error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
    );
    err.cause = e;
    throw err;
  }
}

type Where = { section?: string; offset?: number };

function malformed(message: string, where: Where = {}): ElfError {
  return new ElfError('ELF_MALFORMED', message, where);
}

function unsupported(message: string, where: Where = {}): ElfError {
  return new ElfError('ELF_UNSUPPORTED', message, where);
}

function badReloc(message: string, where: Where = {}): ElfError {
  return new ElfError('ELF_BAD_RELOCATION', message, where);
}

/**
 * The data section a relocation's symbol points into, or a typed error: undefined symbols,
 * special section indices, code (function pointers) and non-data sections are refused.
 */
function dataTarget(elf: ParsedElf, sym: ElfSymbol, what: string, where: Where, verb: 'takes' | 'stores'): ElfSection {
  if (sym.index === 0) throw badReloc(`${what} has no symbol`, where);
  const target = symbolSection(elf, sym);
  if (target === undefined) {
    throw badReloc(
      sym.shndx === 0
        ? `${what} refers to undefined symbol ${symLabel(sym)}: external data is not supported`
        : `${what} refers to ${symLabel(sym)} with special section index ${hex(sym.shndx)}: not supported`,
      where,
    );
  }
  if (isExecSection(target)) {
    throw badReloc(`${what} ${verb} the address of ${symLabel(sym)} in code section ${target.name}: function pointers are not supported`, where);
  }
  if (!isDataSection(target)) {
    throw badReloc(
      `${what} refers to ${symLabel(sym)} in section ${target.name} (${sectionTypeName(target.type)}, flags '${sectionFlagString(target.flags)}'), which is not a data section`,
      where,
    );
  }
  if (sym.value > target.size) {
    throw badReloc(`${what}: symbol ${symLabel(sym)} value ${hex(sym.value)} is outside ${target.name} (size ${hex(target.size)})`, where);
  }
  return target;
}

interface FuncInfo {
  name: string;
  section: ElfSection;
  offset: number;
  size: number;
  global: boolean;
  pc: number;
  length: number;
}

function symLabel(sym: ElfSymbol): string {
  return sym.name === '' ? `symbol #${sym.index}` : `'${sym.name}'`;
}

/** Validates every STT_FUNC symbol of an executable section and computes its linked pc and length. */
function collectFunctions(elf: ParsedElf, base: ReadonlyMap<number, number>): FuncInfo[] {
  const out: FuncInfo[] = [];
  const names = new Set<string>();
  for (const sym of elf.symbols) {
    if (sym.type !== STT_FUNC) continue;
    const sec = symbolSection(elf, sym);
    if (sec === undefined || !isExecSection(sec)) continue;
    const where = { section: elf.sections[elf.symtabIndex]!.name, offset: sym.fileOffset };
    if (sym.name === '') throw malformed(`function symbol #${sym.index} in ${sec.name} has no name`, where);
    if (sym.value % INSN_SIZE !== 0 || sym.value >= sec.size) {
      throw malformed(
        `function '${sym.name}' starts at ${sec.name}+${hex(sym.value)}, which is ${
          sym.value % INSN_SIZE !== 0 ? 'not 8-byte aligned' : `outside the section (size ${hex(sec.size)})`
        }`,
        where,
      );
    }
    if (sym.size % INSN_SIZE !== 0 || sym.value + sym.size > sec.size) {
      throw malformed(
        `function '${sym.name}' at ${sec.name}+${hex(sym.value)} has size ${hex(sym.size)}, which ${
          sym.size % INSN_SIZE !== 0 ? 'is not a multiple of 8' : `runs past the end of the section (size ${hex(sec.size)})`
        }`,
        where,
      );
    }
    if (names.has(sym.name)) throw malformed(`duplicate function name '${sym.name}'`, where);
    names.add(sym.name);
    out.push({
      name: sym.name,
      section: sec,
      offset: sym.value,
      size: sym.size,
      global: sym.bind !== STB_LOCAL,
      pc: base.get(sec.index)! + sym.value / INSN_SIZE,
      length: sym.size / INSN_SIZE,
    });
  }
  out.sort((a, b) => a.pc - b.pc || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // A function without st_size runs to the next function start of its section (or the section's
  // end). Walk backwards, remembering the nearest start above the current pc.
  let nextStart = 0;
  for (let i = out.length - 1; i >= 0; i--) {
    const f = out[i]!;
    const later = out[i + 1];
    if (later === undefined || later.section !== f.section) {
      nextStart = base.get(f.section.index)! + f.section.size / INSN_SIZE;
    } else if (later.pc > f.pc) {
      nextStart = later.pc;
    }
    if (f.length === 0) f.length = nextStart - f.pc;
  }
  return out;
}

function chooseEntry(elf: ParsedElf, functions: FuncInfo[], entry: string | undefined): FuncInfo {
  const available = () => (functions.length === 0 ? '(none)' : functions.map((f) => f.name).join(', '));
  if (entry !== undefined) {
    const f = functions.find((g) => g.name === entry);
    if (f === undefined) {
      throw new ElfError('ELF_NO_FUNCTION', `no function named '${entry}'; available functions: ${available()}`);
    }
    return f;
  }
  if (functions.length === 0) {
    throw new ElfError('ELF_NO_FUNCTION', 'no functions: the object has no STT_FUNC symbol in an executable section');
  }
  const text = elf.sections.find((s) => s.name === '.text' && isExecSection(s));
  if (text !== undefined && text.size > 0) {
    const f = functions.find((g) => g.section === text && g.offset === 0);
    if (f === undefined) {
      throw new ElfError(
        'ELF_NO_FUNCTION',
        `no function at offset 0 of .text (the default entry); pass an entry name; available functions: ${available()}`,
        { section: '.text', offset: text.offset },
      );
    }
    return f;
  }
  // No code in .text: the first function of the first executable section that has one.
  return functions[0]!;
}

interface CodeRelocs {
  dataRelocs: { pc: number; target: ElfSection; offset: number }[];
  helperRelocs: HelperReloc[];
  /** pcs of calls rewritten from a relocation. */
  relocatedCalls: Set<number>;
}

/** Applies the relocations of one executable section to the linked code. */
function applyCodeRelocs(
  elf: ParsedElf,
  sec: ElfSection,
  rels: ElfRel[],
  relSec: ElfSection,
  code: Uint8Array,
  base: ReadonlyMap<number, number>,
  out: CodeRelocs,
): void {
  const secBase = base.get(sec.index)!;
  const occupied = new Set<number>();
  for (const r of rels) {
    if (r.type === R_BPF_NONE) continue;
    const where = { section: relSec.name, offset: r.fileOffset };
    const at = `${sec.name}+${hex(r.offset)}`;
    const kind = r.type === 2 ? 'R_BPF_64_32 (legacy type 2)' : relocTypeName(r.type);
    const what = `${kind} relocation #${r.index} at ${at}`;
    if (r.offset % INSN_SIZE !== 0) throw badReloc(`${what} is not 8-byte aligned`, where);
    if (r.offset + INSN_SIZE > sec.size) {
      throw badReloc(`${what} is outside ${sec.name} (size ${hex(sec.size)})`, where);
    }
    const pc = secBase + r.offset / INSN_SIZE;
    const insn = decodeInsn(code, pc);
    const claim = (slot: number) => {
      if (occupied.has(slot)) throw badReloc(`duplicate relocation: ${what} patches an instruction that is already relocated`, where);
      occupied.add(slot);
    };
    switch (r.type) {
      case R_BPF_64_64: {
        if (insn.opcode !== OP_LDDW) {
          throw badReloc(`${what} is not on an lddw instruction (opcode ${hex(insn.opcode)})`, where);
        }
        if (r.offset + 2 * INSN_SIZE > sec.size) throw badReloc(`${what}: the lddw is cut off by the end of ${sec.name}`, where);
        claim(pc);
        claim(pc + 1);
        const sym = r.sym;
        const target = dataTarget(elf, sym, what, where, 'takes');
        const offset = sym.value + insn.imm;
        if (offset < 0) {
          throw badReloc(`${what} points before the start of ${target.name} (offset ${offset})`, where);
        }
        out.dataRelocs.push({ pc, target, offset });
        encodeInsn({ ...insn, imm: 0 }, code, pc);
        encodeInsn({ ...decodeInsn(code, pc + 1), imm: 0 }, code, pc + 1);
        break;
      }
      case R_BPF_64_32:
      case R_BPF_64_ABS64: {
        // In a code section, number 2 is the pre-LLVM-17 name of the call relocation (uBPF's legacy type).
        if (insn.opcode !== OP_CALL) {
          throw badReloc(`${what} is not on a call instruction (opcode ${hex(insn.opcode)})`, where);
        }
        claim(pc);
        const sym = r.sym;
        if (sym.index === 0) throw badReloc(`${what} has no symbol`, where);
        if (sym.shndx === 0) {
          if (sym.name === '') throw badReloc(`${what} calls an undefined symbol without a name`, where);
          out.helperRelocs.push({ pc, name: sym.name });
          encodeInsn({ ...insn, src: CALL_HELPER, imm: -1 }, code, pc);
          out.relocatedCalls.add(pc);
          break;
        }
        const target = symbolSection(elf, sym);
        if (target === undefined) {
          throw badReloc(`${what} calls ${symLabel(sym)} with special section index ${hex(sym.shndx)}: not supported`, where);
        }
        if (!isExecSection(target)) {
          throw badReloc(`${what} calls ${symLabel(sym)} in section ${target.name}, which is not executable`, where);
        }
        const off = sym.value + (insn.imm + 1) * INSN_SIZE;
        if (off < 0 || off >= target.size || off % INSN_SIZE !== 0) {
          throw badReloc(
            `${what}: the callee at ${target.name}+${hex(off)} (symbol ${symLabel(sym)} + (${insn.imm} + 1) * 8) is outside ${target.name} (size ${hex(target.size)})`,
            where,
          );
        }
        const targetPc = base.get(target.index)! + off / INSN_SIZE;
        encodeInsn({ ...insn, src: CALL_LOCAL, imm: targetPc - (pc + 1) }, code, pc);
        out.relocatedCalls.add(pc);
        break;
      }
      case R_BPF_64_ABS32:
      case R_BPF_64_NODYLD32:
        throw badReloc(`${what} in code section ${sec.name}: this type is only valid in data sections`, where);
      default:
        throw badReloc(`unknown relocation type ${r.type} (#${r.index} at ${at})`, where);
    }
  }
}

/** Calls clang resolved itself (src 1, no relocation) must stay inside their section. */
function checkLocalCalls(sec: ElfSection, code: Uint8Array, secBase: number, relocated: ReadonlySet<number>): void {
  const n = sec.size / INSN_SIZE;
  for (let i = 0; i < n; i++) {
    const pc = secBase + i;
    const op = code[pc * INSN_SIZE]!;
    if (op === OP_LDDW) {
      i++;
      continue;
    }
    if (op !== OP_CALL || relocated.has(pc)) continue;
    const insn = decodeInsn(code, pc);
    if (insn.src !== CALL_LOCAL) continue;
    const t = i + insn.imm + 1;
    if (t < 0 || t >= n) {
      throw malformed(
        `local call at ${sec.name}+${hex(i * INSN_SIZE)} (imm ${insn.imm}) lands outside ${sec.name}, and has no relocation`,
        { section: sec.name, offset: sec.offset + i * INSN_SIZE },
      );
    }
  }
}

function dataPrefix(name: string): boolean {
  return name.startsWith('.rodata') || name.startsWith('.data') || name.startsWith('.bss');
}

function checkDataSection(sec: ElfSection): void {
  if (sec.addralign > MAX_DATA_ALIGN) {
    throw unsupported(`data section alignment ${sec.addralign} is larger than ${MAX_DATA_ALIGN}`, {
      section: sec.name,
      offset: sec.headerOffset + 48,
    });
  }
  if (sec.type === SHT_NOBITS && sec.size > MAX_NOBITS_SIZE) {
    throw unsupported(`zero-filled section of ${sec.size} bytes is larger than ${MAX_NOBITS_SIZE}`, {
      section: sec.name,
      offset: sec.headerOffset + 32,
    });
  }
}

interface PendingSectionReloc {
  section: ElfSection;
  offset: number;
  width: 4 | 8;
  target: ElfSection;
  addend: number;
}

/** Decodes the pointer relocations of one data section; returns the sections they point into. */
function dataSectionRelocs(elf: ParsedElf, sec: ElfSection, out: PendingSectionReloc[]): ElfSection[] {
  const relSec = relSectionFor(elf, sec);
  if (relSec === undefined) return [];
  if (sec.type === SHT_NOBITS) {
    throw badReloc(`relocations (${relSec.name}) apply to ${sec.name}, which has no contents (NOBITS)`, {
      section: relSec.name,
      offset: relSec.headerOffset,
    });
  }
  const dv = new DataView(sec.data.buffer, sec.data.byteOffset, sec.data.byteLength);
  const targets: ElfSection[] = [];
  const spans: { start: number; end: number; where: Where; what: string }[] = [];
  for (const r of readRels(elf, relSec)) {
    if (r.type === R_BPF_NONE) continue;
    const where = { section: relSec.name, offset: r.fileOffset };
    const at = `${sec.name}+${hex(r.offset)}`;
    const what = `${relocTypeName(r.type)} relocation #${r.index} at ${at}`;
    let width: 4 | 8;
    if (r.type === R_BPF_64_ABS64) width = 8;
    else if (r.type === R_BPF_64_ABS32 || r.type === R_BPF_64_NODYLD32) width = 4;
    else if (r.type === R_BPF_64_64 || r.type === R_BPF_64_32) {
      throw badReloc(`${what}: this type applies to instructions, but ${sec.name} is a data section`, where);
    } else throw badReloc(`unknown relocation type ${r.type} (#${r.index} at ${at})`, where);
    if (r.offset + width > sec.size) {
      throw badReloc(`${what} (${width} bytes) is outside ${sec.name} (size ${hex(sec.size)})`, where);
    }
    spans.push({ start: r.offset, end: r.offset + width, where, what });
    const sym = r.sym;
    const target = dataTarget(elf, sym, what, where, 'stores');
    let a: number;
    if (width === 8) {
      const v = dv.getBigInt64(r.offset, true);
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw badReloc(`${what}: addend ${v} stored at the place is too large`, where);
      }
      a = Number(v);
    } else {
      a = dv.getInt32(r.offset, true);
    }
    const addend = sym.value + a;
    if (addend < 0) throw badReloc(`${what} points before the start of ${target.name} (offset ${addend})`, where);
    out.push({ section: sec, offset: r.offset, width, target, addend });
    targets.push(target);
  }
  spans.sort((x, y) => x.start - y.start);
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1]!;
    const cur = spans[i]!;
    if (cur.start < prev.end) {
      throw badReloc(`duplicate relocation: ${cur.what} overlaps another relocation at ${sec.name}+${hex(prev.start)}`, cur.where);
    }
  }
  return targets;
}

function link(elf: ParsedElf, opts: ElfLoadOptions): ProgramImage {
  const maxInsns = opts.maxInsns ?? MAX_INSNS;
  if (!Number.isSafeInteger(maxInsns) || maxInsns < 1) {
    throw unsupported(`bad maxInsns option ${String(maxInsns)}: expected a positive integer`);
  }
  checkRelTargets(elf);

  // 1. Code: every executable section, in section order.
  const exec = elf.sections.filter(isExecSection);
  const base = new Map<number, number>();
  let total = 0;
  for (const s of exec) {
    if (s.size % INSN_SIZE !== 0) {
      throw malformed(`code section size ${hex(s.size)} is not a multiple of 8`, { section: s.name, offset: s.headerOffset + 32 });
    }
    base.set(s.index, total);
    total += s.size / INSN_SIZE;
  }
  if (total > maxInsns) {
    throw unsupported(`too many instructions: ${total} slots in ${exec.length} code section(s) (max ${maxInsns})`);
  }
  const code = new Uint8Array(total * INSN_SIZE);
  for (const s of exec) code.set(s.data, base.get(s.index)! * INSN_SIZE);

  // 2. Functions and entry.
  const functions = collectFunctions(elf, base);
  const entry = chooseEntry(elf, functions, opts.entry);

  // 3. Code relocations.
  const codeRelocs: CodeRelocs = { dataRelocs: [], helperRelocs: [], relocatedCalls: new Set() };
  for (const s of exec) {
    const relSec = relSectionFor(elf, s);
    if (relSec !== undefined) applyCodeRelocs(elf, s, readRels(elf, relSec), relSec, code, base, codeRelocs);
  }
  for (const s of exec) checkLocalCalls(s, code, base.get(s.index)!, codeRelocs.relocatedCalls);

  // 4. Data sections: .rodata*, .data*, .bss*, plus whatever a relocation points into.
  const included = new Set<ElfSection>();
  const queue: ElfSection[] = [];
  const include = (s: ElfSection) => {
    if (included.has(s)) return;
    included.add(s);
    queue.push(s);
  };
  for (const s of elf.sections) if (isDataSection(s) && dataPrefix(s.name)) include(s);
  for (const d of codeRelocs.dataRelocs) include(d.target);
  const pending: PendingSectionReloc[] = [];
  for (let i = 0; i < queue.length; i++) {
    const s = queue[i]!;
    checkDataSection(s);
    for (const t of dataSectionRelocs(elf, s, pending)) include(t);
  }
  const ordered = [...included].sort((a, b) => a.index - b.index);
  const imageIndex = new Map<ElfSection, number>();
  const sections: DataSection[] = ordered.map((s, i) => {
    imageIndex.set(s, i);
    return {
      name: s.name,
      bytes: s.type === SHT_NOBITS ? new Uint8Array(s.size) : s.data.slice(),
      writable: (s.flags & SHF_WRITE) !== 0,
      align: Math.max(1, s.addralign),
    };
  });
  const sectionRelocs: SectionReloc[] = pending
    .map((p) => {
      const bytes = sections[imageIndex.get(p.section)!]!.bytes;
      bytes.fill(0, p.offset, p.offset + p.width);
      return {
        section: imageIndex.get(p.section)!,
        offset: p.offset,
        width: p.width,
        target: imageIndex.get(p.target)!,
        addend: p.addend,
      };
    })
    .sort((a, b) => a.section - b.section || a.offset - b.offset);
  const dataRelocs: DataReloc[] = codeRelocs.dataRelocs
    .map((d) => ({ pc: d.pc, section: imageIndex.get(d.target)!, offset: d.offset }))
    .sort((a, b) => a.pc - b.pc);
  const helperRelocs = codeRelocs.helperRelocs.sort((a, b) => a.pc - b.pc);
  const programFunctions: ProgramFunction[] = functions.map((f) => ({ name: f.name, pc: f.pc, length: f.length }));

  return {
    code,
    entry: entry.pc,
    functions: programFunctions,
    sections,
    dataRelocs,
    sectionRelocs,
    helperRelocs,
  };
}

function inspect(elf: ParsedElf): ElfInfo {
  checkRelTargets(elf);
  const info: ElfInfo = {
    machine: elf.machine,
    sections: elf.sections.map((s) => ({
      index: s.index,
      name: s.name,
      type: sectionTypeName(s.type),
      flags: sectionFlagString(s.flags),
      offset: s.offset,
      size: s.size,
    })),
    functions: [],
    relocations: [],
    helpers: [],
  };
  const funcs: { secIndex: number; f: ElfInfo['functions'][number] }[] = [];
  for (const sym of elf.symbols) {
    if (sym.type !== STT_FUNC) continue;
    const sec = symbolSection(elf, sym);
    if (sec === undefined || !isExecSection(sec)) continue;
    funcs.push({
      secIndex: sec.index,
      f: { name: sym.name, section: sec.name, offset: sym.value, size: sym.size, global: sym.bind !== STB_LOCAL },
    });
  }
  funcs.sort((a, b) => a.secIndex - b.secIndex || a.f.offset - b.f.offset);
  info.functions = funcs.map((x) => x.f);
  const helpers = new Set<string>();
  for (const target of elf.sections) {
    const code = isExecSection(target);
    if (!code && !isDataSection(target)) continue;
    const relSec = relSectionFor(elf, target);
    if (relSec === undefined || relSec.type !== SHT_REL) continue;
    const dv = new DataView(target.data.buffer, target.data.byteOffset, target.data.byteLength);
    for (const r of readRels(elf, relSec)) {
      const where = { section: relSec.name, offset: r.fileOffset };
      let width = 0;
      if (code && r.type !== R_BPF_NONE) width = INSN_SIZE;
      else if (!code && (r.type === R_BPF_64_ABS64 || r.type === R_BPF_64_64 || r.type === R_BPF_64_32)) width = 8;
      else if (!code && (r.type === R_BPF_64_ABS32 || r.type === R_BPF_64_NODYLD32)) width = 4;
      if (r.offset + width > target.data.length) {
        throw badReloc(
          `${relocTypeName(r.type)} relocation #${r.index} at ${target.name}+${hex(r.offset)} is outside ${target.name} (size ${hex(target.data.length)}${target.type === SHT_NOBITS ? ', NOBITS' : ''})`,
          where,
        );
      }
      let addend = 0;
      if (code && width > 0) {
        const imm = dv.getInt32(r.offset + 4, true);
        addend = r.type === R_BPF_64_32 || r.type === R_BPF_64_ABS64 ? (imm + 1) * INSN_SIZE : imm;
        if ((r.type === R_BPF_64_32 || r.type === R_BPF_64_ABS64) && r.sym.shndx === 0 && r.sym.name !== '') {
          helpers.add(r.sym.name);
        }
      } else if (width === 8) {
        addend = Number(dv.getBigInt64(r.offset, true));
      } else if (width === 4) {
        addend = dv.getInt32(r.offset, true);
      }
      info.relocations.push({
        section: target.name,
        offset: r.offset,
        type: r.type,
        typeName: code && r.type === R_BPF_64_ABS64 ? 'R_BPF_64_32' : relocTypeName(r.type),
        symbol: r.sym.name,
        addend,
      });
    }
  }
  info.helpers = [...helpers];
  return info;
}

// Re-exported for tools and tests that want the relocation numbers.
export { R_BPF_64_32, R_BPF_64_64, R_BPF_64_ABS32, R_BPF_64_ABS64, R_BPF_64_NODYLD32, R_BPF_NONE };
