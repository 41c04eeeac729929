/**
 * Structural parsing of an ELF64 little-endian relocatable object (what `clang -target bpf -c`
 * writes): the ELF header, the section header table, the symbol table and SHT_REL sections.
 *
 * The `elfy` package parses the header and the section table. It is only called after the
 * header has been checked here, because on bad input it loops forever (e_shentsize or
 * e_phentsize 0), throws plain or assert errors (bad e_shstrndx), and silently truncates section
 * data that runs past the file. It also reads sh_addralign and sh_entsize at the wrong offsets
 * and 64-bit fields through doubles, so every numeric field the loader relies on is re-read here
 * from the bytes, and every offset, size and count is checked against the file length before
 * anything is allocated or sliced. Everything thrown is an ElfError.
 */

import elfy, { type ElfyFile } from 'elfy';
import { ElfError } from './errors.js';

export const EHDR_SIZE = 64;
export const SHDR_SIZE = 64;
export const PHDR_SIZE = 56;
export const SYM_SIZE = 24;
export const REL_SIZE = 16;
/** Upper bound on e_shnum. uBPF allows 32; clang with -g and custom sections needs ~40. */
export const MAX_SECTIONS = 4096;
/** Longest section or symbol name accepted (bounds the work per name on hostile string tables). */
export const MAX_NAME_LENGTH = 4096;

export const ET_REL = 1;
export const EM_NONE = 0;
export const EM_BPF = 247;

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;

export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;

export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;

export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;

export const R_BPF_NONE = 0;
export const R_BPF_64_64 = 1;
export const R_BPF_64_ABS64 = 2;
export const R_BPF_64_ABS32 = 3;
export const R_BPF_64_NODYLD32 = 4;
export const R_BPF_64_32 = 10;

const RELOC_NAMES: ReadonlyMap<number, string> = new Map([
  [R_BPF_NONE, 'R_BPF_NONE'],
  [R_BPF_64_64, 'R_BPF_64_64'],
  [R_BPF_64_ABS64, 'R_BPF_64_ABS64'],
  [R_BPF_64_ABS32, 'R_BPF_64_ABS32'],
  [R_BPF_64_NODYLD32, 'R_BPF_64_NODYLD32'],
  [R_BPF_64_32, 'R_BPF_64_32'],
]);

export function relocTypeName(type: number): string {
  return RELOC_NAMES.get(type) ?? `unknown(${type})`;
}

const SECTION_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'NULL'],
  [1, 'PROGBITS'],
  [2, 'SYMTAB'],
  [3, 'STRTAB'],
  [4, 'RELA'],
  [5, 'HASH'],
  [6, 'DYNAMIC'],
  [7, 'NOTE'],
  [8, 'NOBITS'],
  [9, 'REL'],
  [10, 'SHLIB'],
  [11, 'DYNSYM'],
  [14, 'INIT_ARRAY'],
  [15, 'FINI_ARRAY'],
  [16, 'PREINIT_ARRAY'],
  [17, 'GROUP'],
  [18, 'SYMTAB_SHNDX'],
  [0x6fff4c03, 'LLVM_ADDRSIG'],
]);

export function sectionTypeName(type: number): string {
  return SECTION_TYPE_NAMES.get(type) ?? `0x${type.toString(16)}`;
}

/** readelf-style flag letters. */
export function sectionFlagString(flags: number): string {
  const letters: [number, string][] = [
    [0x1, 'W'],
    [0x2, 'A'],
    [0x4, 'X'],
    [0x10, 'M'],
    [0x20, 'S'],
    [0x40, 'I'],
    [0x80, 'L'],
    [0x100, 'O'],
    [0x200, 'G'],
    [0x400, 'T'],
    [0x800, 'C'],
    [0x80000000, 'E'],
  ];
  let known = 0;
  let out = '';
  for (const [bit, letter] of letters) {
    known |= bit;
    if ((flags & bit) !== 0) out += letter;
  }
  if ((flags & ~known) !== 0) out += 'x';
  return out;
}

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  /** Low 32 bits of sh_flags (every flag the loader looks at lives there). */
  flags: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  /** sh_addralign, 0 or a power of two. */
  addralign: number;
  entsize: number;
  /** File offset of this section's header. */
  headerOffset: number;
  /** The section's bytes (a view into the input); empty for SHT_NOBITS and SHT_NULL. */
  data: Uint8Array;
}

export interface ElfSymbol {
  index: number;
  /** The symbol's name; for an STT_SECTION symbol without a name, its section's name. */
  name: string;
  value: number;
  size: number;
  type: number;
  bind: number;
  shndx: number;
  /** File offset of the Elf64_Sym entry. */
  fileOffset: number;
}

export interface ElfRel {
  /** Entry number inside its relocation section. */
  index: number;
  /** r_offset: offset inside the target section. */
  offset: number;
  type: number;
  sym: ElfSymbol;
  /** File offset of the Elf64_Rel entry. */
  fileOffset: number;
}

export interface ParsedElf {
  bytes: Uint8Array;
  machine: number;
  sections: ElfSection[];
  /** Index of the SHT_SYMTAB section, or -1 when there is none. */
  symtabIndex: number;
  symbols: ElfSymbol[];
  /** SHT_REL and SHT_RELA sections by the index of the section they apply to (sh_info). */
  relsByTarget: Map<number, ElfSection[]>;
}

export function isExecSection(s: ElfSection): boolean {
  return s.type === SHT_PROGBITS && (s.flags & SHF_ALLOC) !== 0 && (s.flags & SHF_EXECINSTR) !== 0;
}

/** An allocated, non-executable section with contents or zero-fill: what lddw may point into. */
export function isDataSection(s: ElfSection): boolean {
  return (
    (s.type === SHT_PROGBITS || s.type === SHT_NOBITS) &&
    (s.flags & SHF_ALLOC) !== 0 &&
    (s.flags & SHF_EXECINSTR) === 0
  );
}

export function hex(n: number): string {
  return n < 0 ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`;
}

function malformed(message: string, where: { section?: string; offset?: number } = {}): ElfError {
  return new ElfError('ELF_MALFORMED', message, where);
}

function unsupported(message: string, where: { section?: string; offset?: number } = {}): ElfError {
  return new ElfError('ELF_UNSUPPORTED', message, where);
}

function badReloc(message: string, where: { section?: string; offset?: number } = {}): ElfError {
  return new ElfError('ELF_BAD_RELOCATION', message, where);
}

/** A 64-bit little-endian field as a number: exact below 2^53, and any larger value stays larger than any file. */
function u64(dv: DataView, off: number): number {
  return dv.getUint32(off, true) + dv.getUint32(off + 4, true) * 0x1_0000_0000;
}

function isPow2OrZero(n: number): boolean {
  if (n === 0) return true;
  if (!Number.isFinite(n) || n < 1 || n > 2 ** 63) return false;
  return 2 ** Math.round(Math.log2(n)) === n;
}

/** `\x7fELF` */
export function hasElfMagic(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

const textDecoder = new TextDecoder('utf-8');

/** A NUL-terminated string at `off` of a string table section. */
function readString(strtab: ElfSection, off: number, what: string, where: { section?: string; offset?: number }): string {
  if (off >= strtab.data.length) {
    throw malformed(
      `${what}: name offset ${hex(off)} is outside string table ${strtab.name} (size ${hex(strtab.data.length)})`,
      where,
    );
  }
  const window = strtab.data.subarray(off, off + MAX_NAME_LENGTH + 1);
  const end = window.indexOf(0);
  if (end < 0) {
    throw malformed(
      `${what}: name at offset ${hex(off)} of ${strtab.name} is not NUL-terminated within ${MAX_NAME_LENGTH} bytes`,
      where,
    );
  }
  return textDecoder.decode(window.subarray(0, end));
}

interface Header {
  machine: number;
  shoff: number;
  shnum: number;
  shstrndx: number;
  /** Contents of the section name string table (checked to lie inside the file). */
  shstrtab: Uint8Array;
}

/** Checks the ELF header completely, so that elfy only ever sees a file it can parse. */
function checkHeader(b: Uint8Array, dv: DataView): Header {
  if (!hasElfMagic(b)) {
    throw malformed('not an ELF object: bad magic (expected 7f 45 4c 46)', { offset: 0 });
  }
  if (b.length < EHDR_SIZE) {
    throw malformed(`truncated file: ${b.length} bytes, but the ELF header alone needs ${EHDR_SIZE}`, {
      offset: b.length,
    });
  }
  const cls = b[4]!;
  if (cls !== 2) {
    throw unsupported(`wrong ELF class ${cls}: expected 2 (ELFCLASS64)${cls === 1 ? '; 32-bit ELF is not supported' : ''}`, {
      offset: 4,
    });
  }
  const data = b[5]!;
  if (data !== 1) {
    throw unsupported(`wrong byte order ${data}: expected 1 (ELFDATA2LSB, little-endian)${data === 2 ? '; big-endian BPF objects are not supported' : ''}`, {
      offset: 5,
    });
  }
  if (b[6] !== 1) throw unsupported(`wrong ELF identification version ${b[6]!}: expected 1 (EV_CURRENT)`, { offset: 6 });
  if (b[7] !== 0) throw unsupported(`wrong OS ABI ${b[7]!}: expected 0 (ELFOSABI_NONE)`, { offset: 7 });
  const type = dv.getUint16(16, true);
  if (type !== ET_REL) {
    const names: Record<number, string> = { 0: 'ET_NONE', 2: 'ET_EXEC', 3: 'ET_DYN', 4: 'ET_CORE' };
    throw unsupported(
      `wrong object type ${type}${names[type] ? ` (${names[type]})` : ''}: expected 1 (ET_REL), a relocatable object as written by clang -c`,
      { offset: 16 },
    );
  }
  const machine = dv.getUint16(18, true);
  if (machine !== EM_BPF && machine !== EM_NONE) {
    throw unsupported(`wrong machine ${machine}: expected 247 (EM_BPF) or 0 (EM_NONE)`, { offset: 18 });
  }
  const version = dv.getUint32(20, true);
  if (version !== 1) throw unsupported(`wrong ELF version ${version}: expected 1 (EV_CURRENT)`, { offset: 20 });
  const ehsize = dv.getUint16(52, true);
  if (ehsize !== EHDR_SIZE) throw malformed(`bad ELF header size ${ehsize}: expected ${EHDR_SIZE}`, { offset: 52 });

  const phoff = u64(dv, 32);
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  if (phnum !== 0) {
    if (phentsize !== PHDR_SIZE) {
      throw malformed(`bad program header entry size ${phentsize}: expected ${PHDR_SIZE}`, { offset: 54 });
    }
    if (phoff === 0 || phoff + phnum * PHDR_SIZE > b.length) {
      throw malformed(
        `program header table (${phnum} entries at ${hex(phoff)}) is outside the file (${b.length} bytes)`,
        { offset: 32 },
      );
    }
  }

  const shoff = u64(dv, 40);
  const shentsize = dv.getUint16(58, true);
  const shnum = dv.getUint16(60, true);
  const shstrndx = dv.getUint16(62, true);
  if (shoff === 0) throw malformed('no section header table (e_shoff is 0)', { offset: 40 });
  if (shnum === 0) {
    throw unsupported('e_shnum is 0: extended section numbering is not supported', { offset: 60 });
  }
  if (shentsize !== SHDR_SIZE) {
    throw malformed(`bad section header entry size ${shentsize}: expected ${SHDR_SIZE}`, { offset: 58 });
  }
  if (shnum > MAX_SECTIONS) throw unsupported(`too many sections: ${shnum} (max ${MAX_SECTIONS})`, { offset: 60 });
  if (shoff + shnum * SHDR_SIZE > b.length) {
    throw malformed(
      `section header table (${shnum} entries of ${SHDR_SIZE} bytes at ${hex(shoff)}) extends past the end of the file (${b.length} bytes)`,
      { offset: 40 },
    );
  }
  if (shstrndx === SHN_XINDEX) {
    throw unsupported('e_shstrndx is SHN_XINDEX: extended section numbering is not supported', { offset: 62 });
  }
  if (shstrndx === SHN_UNDEF || shstrndx >= shnum) {
    throw malformed(
      `bad section name string table index ${shstrndx} (e_shstrndx): the file has ${shnum} sections`,
      { offset: 62 },
    );
  }
  const strHdr = shoff + shstrndx * SHDR_SIZE;
  const strType = dv.getUint32(strHdr + 4, true);
  if (strType !== SHT_STRTAB) {
    throw malformed(
      `bad section name string table index ${shstrndx} (e_shstrndx): section ${shstrndx} has type ${sectionTypeName(strType)}, not STRTAB`,
      { offset: strHdr },
    );
  }
  const strOff = u64(dv, strHdr + 24);
  const strSize = u64(dv, strHdr + 32);
  if (strOff + strSize > b.length) {
    throw malformed(
      `section name string table (section ${shstrndx}, offset ${hex(strOff)}, size ${hex(strSize)}) extends past the end of the file (${b.length} bytes)`,
      { offset: strHdr },
    );
  }
  const shstrtab = b.subarray(strOff, strOff + strSize);
  // Section names, before elfy resolves them (it does not check the offsets, and scans for the
  // NUL byte by byte).
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * SHDR_SIZE;
    const nameOff = dv.getUint32(h, true);
    if (nameOff >= shstrtab.length || shstrtab.subarray(nameOff, nameOff + MAX_NAME_LENGTH + 1).indexOf(0) < 0) {
      throw malformed(
        `section ${i}: name offset ${hex(nameOff)} is outside the section name string table (section ${shstrndx}, size ${hex(shstrtab.length)}) or not NUL-terminated within ${MAX_NAME_LENGTH} bytes`,
        { offset: h },
      );
    }
  }
  return { machine, shoff, shnum, shstrndx, shstrtab };
}

/** Runs elfy on a header that checkHeader accepted; anything it throws becomes an ElfError. */
function runElfy(b: Uint8Array, shnum: number): ElfyFile {
  let parsed: ElfyFile;
  try {
    parsed = elfy.parse(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  } catch (e) {
    const err = malformed(`ELF parser (elfy) rejected the file: ${e instanceof Error ? e.message : String(e)}`);
    err.cause = e;
    throw err;
  }
  const sections = parsed.body?.sections;
  if (!Array.isArray(sections) || sections.length !== shnum) {
    const err = malformed(`ELF parser (elfy) returned ${Array.isArray(sections) ? sections.length : 'no'} sections, expected ${shnum}`);
    err.cause = new Error('elfy section count mismatch');
    throw err;
  }
  return parsed;
}

/**
 * Parses and validates the header, every section header (against the file), the symbol table
 * (names, section indices). Relocation sections are decoded on demand by `readRels`.
 */
export function parseElf(b: Uint8Array): ParsedElf {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const { machine, shoff, shnum } = checkHeader(b, dv);
  const parsed = runElfy(b, shnum);

  const sections: ElfSection[] = [];
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * SHDR_SIZE;
    const es = parsed.body.sections[i]!;
    const type = dv.getUint32(h + 4, true);
    const offset = u64(dv, h + 24);
    const size = u64(dv, h + 32);
    // elfy reads sh_addralign at +46 and sh_entsize at +54; the real fields are at +48 and +56.
    const addralign = u64(dv, h + 48);
    const entsize = u64(dv, h + 56);
    const section: ElfSection = {
      index: i,
      name: '',
      type,
      flags: dv.getUint32(h + 8, true),
      offset,
      size,
      link: es.link,
      info: es.info,
      addralign,
      entsize,
      headerOffset: h,
      data: new Uint8Array(0),
    };
    // The name offset was checked by checkHeader; elfy resolved it.
    section.name = es.name;
    const label = `section ${i} (${section.name})`;
    if (type !== SHT_NOBITS && type !== SHT_NULL) {
      if (offset + size > b.length) {
        throw malformed(
          `${label} data (offset ${hex(offset)}, size ${hex(size)}) extends past the end of the file (${b.length} bytes)`,
          { section: section.name, offset: h },
        );
      }
      section.data = b.subarray(offset, offset + size);
    }
    if (!isPow2OrZero(addralign)) {
      throw malformed(`${label} has alignment ${addralign}, which is not a power of two`, {
        section: section.name,
        offset: h + 48,
      });
    }
    sections.push(section);
  }

  // The symbol table.
  let symtabIndex = -1;
  for (const s of sections) {
    if (s.type !== SHT_SYMTAB) continue;
    if (symtabIndex >= 0) {
      throw unsupported(`more than one symbol table (${sections[symtabIndex]!.name} and ${s.name})`, {
        section: s.name,
        offset: s.headerOffset,
      });
    }
    symtabIndex = s.index;
  }
  const symbols: ElfSymbol[] = [];
  if (symtabIndex >= 0) {
    const st = sections[symtabIndex]!;
    if (st.entsize !== SYM_SIZE) {
      throw malformed(`symbol table entry size is ${st.entsize}, expected ${SYM_SIZE}`, {
        section: st.name,
        offset: st.headerOffset + 56,
      });
    }
    if (st.size % SYM_SIZE !== 0) {
      throw malformed(`symbol table size ${hex(st.size)} is not a multiple of ${SYM_SIZE}`, {
        section: st.name,
        offset: st.headerOffset + 32,
      });
    }
    if (st.link === 0 || st.link >= shnum || sections[st.link]!.type !== SHT_STRTAB) {
      throw malformed(`bad string table index ${st.link} for the symbol table (sh_link)`, {
        section: st.name,
        offset: st.headerOffset + 40,
      });
    }
    const strtab = sections[st.link]!;
    const count = st.size / SYM_SIZE;
    for (let i = 0; i < count; i++) {
      const o = st.offset + i * SYM_SIZE;
      const nameOff = dv.getUint32(o, true);
      const info = b[o + 4]!;
      const shndx = dv.getUint16(o + 6, true);
      const sym: ElfSymbol = {
        index: i,
        name: '',
        value: u64(dv, o + 8),
        size: u64(dv, o + 16),
        type: info & 0xf,
        bind: info >> 4,
        shndx,
        fileOffset: o,
      };
      const where = { section: st.name, offset: o };
      sym.name = nameOff === 0 ? '' : readString(strtab, nameOff, `symbol #${i}`, where);
      if (shndx === SHN_XINDEX) {
        throw unsupported(`symbol '${sym.name}' (#${i}) uses SHN_XINDEX: extended section numbering is not supported`, where);
      }
      if (shndx !== SHN_UNDEF && shndx < SHN_LORESERVE && shndx >= shnum) {
        throw malformed(
          `symbol '${sym.name}' (#${i}) has section index ${shndx}, out of range (the file has ${shnum} sections)`,
          where,
        );
      }
      if (sym.type === STT_SECTION && sym.name === '' && shndx !== SHN_UNDEF && shndx < shnum) {
        sym.name = sections[shndx]!.name;
      }
      symbols.push(sym);
    }
  }
  const relsByTarget = new Map<number, ElfSection[]>();
  for (const s of sections) {
    if (s.type !== SHT_REL && s.type !== SHT_RELA) continue;
    const list = relsByTarget.get(s.info);
    if (list === undefined) relsByTarget.set(s.info, [s]);
    else list.push(s);
  }
  return { bytes: b, machine, sections, symtabIndex, symbols, relsByTarget };
}

/** A defined symbol's section, or undefined for SHN_UNDEF / SHN_ABS / SHN_COMMON and other reserved indices. */
export function symbolSection(elf: ParsedElf, sym: ElfSymbol): ElfSection | undefined {
  if (sym.shndx === SHN_UNDEF || sym.shndx >= SHN_LORESERVE) return undefined;
  return elf.sections[sym.shndx];
}

/** Every SHT_REL / SHT_RELA section that applies to section `target`. */
export function relSectionsFor(elf: ParsedElf, target: number): ElfSection[] {
  return elf.relsByTarget.get(target) ?? [];
}

/**
 * The single SHT_REL section that applies to `target` (a section the loader needs), or
 * undefined. Two of them, or an SHT_RELA, are errors.
 */
export function relSectionFor(elf: ParsedElf, target: ElfSection): ElfSection | undefined {
  const rels = relSectionsFor(elf, target.index);
  if (rels.length === 0) return undefined;
  const first = rels[0]!;
  if (rels.length > 1) {
    throw malformed(
      `duplicate relocation sections for ${target.name}: ${rels.map((r) => r.name).join(' and ')} both apply to it`,
      { section: rels[1]!.name, offset: rels[1]!.headerOffset },
    );
  }
  if (first.type === SHT_RELA) {
    throw unsupported(`RELA relocations (${first.name}) are not used for BPF and not supported`, {
      section: first.name,
      offset: first.headerOffset,
    });
  }
  return first;
}

/** Checks sh_info of every relocation section (a target index out of range is malformed). */
export function checkRelTargets(elf: ParsedElf): void {
  for (const s of elf.sections) {
    if (s.type !== SHT_REL && s.type !== SHT_RELA) continue;
    if (s.info === 0 || s.info >= elf.sections.length) {
      throw malformed(
        `relocation section applies to section index ${s.info} (sh_info), out of range (the file has ${elf.sections.length} sections)`,
        { section: s.name, offset: s.headerOffset + 44 },
      );
    }
  }
}

/**
 * Decodes an SHT_REL section: entry size, its symbol table link, symbol indices. Offsets are
 * checked against the target by the caller, who knows each type's width.
 */
export function readRels(elf: ParsedElf, rel: ElfSection): ElfRel[] {
  const where = { section: rel.name, offset: rel.headerOffset };
  if (rel.entsize !== REL_SIZE) {
    throw malformed(`relocation entry size is ${rel.entsize}, expected ${REL_SIZE}`, {
      section: rel.name,
      offset: rel.headerOffset + 56,
    });
  }
  if (rel.size % REL_SIZE !== 0) {
    throw malformed(`relocation section size ${hex(rel.size)} is not a multiple of ${REL_SIZE}`, where);
  }
  if (elf.symtabIndex < 0 || rel.link !== elf.symtabIndex) {
    throw malformed(
      elf.symtabIndex < 0
        ? 'relocation section but no symbol table'
        : `relocation section links to section ${rel.link} (sh_link), not to the symbol table (section ${elf.symtabIndex})`,
      { section: rel.name, offset: rel.headerOffset + 40 },
    );
  }
  const b = elf.bytes;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: ElfRel[] = [];
  const count = rel.size / REL_SIZE;
  for (let i = 0; i < count; i++) {
    const o = rel.offset + i * REL_SIZE;
    const offset = u64(dv, o);
    const type = dv.getUint32(o + 8, true);
    const symIndex = dv.getUint32(o + 12, true);
    const sym = elf.symbols[symIndex];
    if (sym === undefined) {
      throw badReloc(
        `relocation #${i} refers to symbol index ${symIndex}, out of range (the symbol table has ${elf.symbols.length} entries)`,
        { section: rel.name, offset: o },
      );
    }
    out.push({ index: i, offset, type, sym, fileOffset: o });
  }
  return out;
}
