/**
 * ELF object mutator shared by the fuzz test (test/vm/elf-fuzz.test.ts) and the standalone fuzzer
 * (tools/fuzz-elf.ts), plus the small byte-patching helpers the error tests use.
 *
 * Every case is generated from (seed, case index) alone, so one failing case can be replayed
 * without running the ones before it.
 */

import { ElfError } from '../../src/vm/errors.js';
import { inspectElf, loadElf } from '../../src/vm/elf.js';
import { OP_CALL, OP_LDDW, decodeInsn } from '../../src/vm/isa.js';
import type { ProgramImage } from '../../src/vm/program.js';

// ---------------------------------------------------------------------------------------------
// PRNG

/** xoshiro128** with a splitmix32-expanded seed: fast, 32-bit, reproducible across platforms. */
export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.u32() / 0x1_0000_0000) * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The seed of case `index` of a run with seed `seed`. */
export function caseSeed(seed: number, index: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Layout of a valid object (read directly from the bytes: the fixtures are trusted)

export interface Field {
  /** e.g. "shdr[3 .rel.text].sh_info" */
  name: string;
  offset: number;
  size: 1 | 2 | 4 | 8;
}

export interface SectionLayout {
  index: number;
  name: string;
  headerOffset: number;
  type: number;
  flags: number;
  offset: number;
  size: number;
  link: number;
  info: number;
}

export interface ElfLayout {
  shoff: number;
  shnum: number;
  sections: SectionLayout[];
  fields: Field[];
  /** File offsets of the instructions that relocations patch (opcode byte; imm at +4). */
  relocatedInsns: number[];
}

function rd(b: Uint8Array, off: number, size: 1 | 2 | 4 | 8): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + b[off + i]!;
  return v;
}

function cstr(b: Uint8Array, off: number): string {
  let end = off;
  while (end < b.length && b[end] !== 0) end++;
  return new TextDecoder().decode(b.subarray(off, end));
}

export function elfLayout(b: Uint8Array): ElfLayout {
  const shoff = rd(b, 40, 8);
  const shnum = rd(b, 60, 2);
  const shstrndx = rd(b, 62, 2);
  const fields: Field[] = [];
  const ehdr: [string, number, 1 | 2 | 4 | 8][] = [
    ['EI_CLASS', 4, 1],
    ['EI_DATA', 5, 1],
    ['EI_VERSION', 6, 1],
    ['EI_OSABI', 7, 1],
    ['e_type', 16, 2],
    ['e_machine', 18, 2],
    ['e_version', 20, 4],
    ['e_entry', 24, 8],
    ['e_phoff', 32, 8],
    ['e_shoff', 40, 8],
    ['e_flags', 48, 4],
    ['e_ehsize', 52, 2],
    ['e_phentsize', 54, 2],
    ['e_phnum', 56, 2],
    ['e_shentsize', 58, 2],
    ['e_shnum', 60, 2],
    ['e_shstrndx', 62, 2],
  ];
  for (const [name, offset, size] of ehdr) fields.push({ name: `ehdr.${name}`, offset, size });

  const strHdr = shoff + shstrndx * 64;
  const strOff = rd(b, strHdr + 24, 8);
  const sections: SectionLayout[] = [];
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * 64;
    sections.push({
      index: i,
      name: cstr(b, strOff + rd(b, h, 4)),
      headerOffset: h,
      type: rd(b, h + 4, 4),
      flags: rd(b, h + 8, 4),
      offset: rd(b, h + 24, 8),
      size: rd(b, h + 32, 8),
      link: rd(b, h + 40, 4),
      info: rd(b, h + 44, 4),
    });
  }
  const shdr: [string, number, 1 | 2 | 4 | 8][] = [
    ['sh_name', 0, 4],
    ['sh_type', 4, 4],
    ['sh_flags', 8, 8],
    ['sh_addr', 16, 8],
    ['sh_offset', 24, 8],
    ['sh_size', 32, 8],
    ['sh_link', 40, 4],
    ['sh_info', 44, 4],
    ['sh_addralign', 48, 8],
    ['sh_entsize', 56, 8],
  ];
  for (const s of sections) {
    for (const [name, offset, size] of shdr) {
      fields.push({ name: `shdr[${s.index} ${s.name}].${name}`, offset: s.headerOffset + offset, size });
    }
  }
  const relocatedInsns: number[] = [];
  for (const s of sections) {
    if (s.type === 2) {
      const sym: [string, number, 1 | 2 | 4 | 8][] = [
        ['st_name', 0, 4],
        ['st_info', 4, 1],
        ['st_other', 5, 1],
        ['st_shndx', 6, 2],
        ['st_value', 8, 8],
        ['st_size', 16, 8],
      ];
      for (let i = 0; i * 24 < s.size; i++) {
        for (const [name, offset, size] of sym) fields.push({ name: `sym[${i}].${name}`, offset: s.offset + i * 24 + offset, size });
      }
    } else if (s.type === 9) {
      const target = sections[s.info];
      for (let i = 0; i * 16 < s.size; i++) {
        const e = s.offset + i * 16;
        fields.push({ name: `${s.name}[${i}].r_offset`, offset: e, size: 8 });
        fields.push({ name: `${s.name}[${i}].r_type`, offset: e + 8, size: 4 });
        fields.push({ name: `${s.name}[${i}].r_sym`, offset: e + 12, size: 4 });
        if (target !== undefined && (target.flags & 0x4) !== 0) relocatedInsns.push(target.offset + rd(b, e, 8));
      }
    }
  }
  for (const off of relocatedInsns) {
    fields.push({ name: `insn@${off.toString(16)}.opcode`, offset: off, size: 1 });
    fields.push({ name: `insn@${off.toString(16)}.regs`, offset: off + 1, size: 1 });
    fields.push({ name: `insn@${off.toString(16)}.imm`, offset: off + 4, size: 4 });
  }
  return { shoff, shnum, sections, fields, relocatedInsns };
}

// ---------------------------------------------------------------------------------------------
// Byte patching

/** Writes `value` little-endian into `size` bytes at `off` (values up to 2^64 - 1, as number or bigint). */
export function put(b: Uint8Array, off: number, size: 1 | 2 | 4 | 8, value: number | bigint): void {
  let v = BigInt.asUintN(size * 8, BigInt(value));
  for (let i = 0; i < size; i++) {
    b[off + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

export function get(b: Uint8Array, off: number, size: 1 | 2 | 4 | 8): number {
  return rd(b, off, size);
}

/** A patchable view of a fixture: field offsets by name. */
export class Patcher {
  readonly bytes: Uint8Array;
  readonly layout: ElfLayout;

  constructor(original: Uint8Array) {
    this.bytes = original.slice();
    this.layout = elfLayout(this.bytes);
  }

  section(name: string): SectionLayout {
    const s = this.layout.sections.find((x) => x.name === name);
    if (s === undefined) throw new Error(`fixture has no section ${name}`);
    return s;
  }

  /** Sets a section header field (sh_name ... sh_entsize). */
  shdr(name: string, field: string, value: number | bigint): this {
    const s = this.section(name);
    const f = this.layout.fields.find((x) => x.name === `shdr[${s.index} ${s.name}].${field}`);
    if (f === undefined) throw new Error(`no field ${field}`);
    put(this.bytes, f.offset, f.size, value);
    return this;
  }

  ehdr(field: string, value: number | bigint): this {
    const f = this.layout.fields.find((x) => x.name === `ehdr.${field}`);
    if (f === undefined) throw new Error(`no field ${field}`);
    put(this.bytes, f.offset, f.size, value);
    return this;
  }

  /** File offset of symbol `name`'s Elf64_Sym. */
  symOffset(name: string): number {
    const st = this.layout.sections.find((x) => x.type === 2)!;
    const strtab = this.layout.sections[st.link]!;
    for (let i = 0; i * 24 < st.size; i++) {
      const o = st.offset + i * 24;
      const n = cstr(this.bytes, strtab.offset + get(this.bytes, o, 4));
      const type = this.bytes[o + 4]! & 0xf;
      const shndx = get(this.bytes, o + 6, 2);
      const display = type === 3 && n === '' ? this.layout.sections[shndx]?.name : n;
      if (display === name) return o;
    }
    throw new Error(`fixture has no symbol ${name}`);
  }

  /** Sets a symbol field: st_name, st_info, st_other, st_shndx, st_value, st_size. */
  sym(name: string, field: string, value: number | bigint): this {
    const fields: Record<string, [number, 1 | 2 | 4 | 8]> = {
      st_name: [0, 4],
      st_info: [4, 1],
      st_other: [5, 1],
      st_shndx: [6, 2],
      st_value: [8, 8],
      st_size: [16, 8],
    };
    const [off, size] = fields[field]!;
    put(this.bytes, this.symOffset(name) + off, size, value);
    return this;
  }

  /** File offset of entry `i` of relocation section `relName`. */
  relOffset(relName: string, i: number): number {
    return this.section(relName).offset + i * 16;
  }

  rel(relName: string, i: number, field: 'r_offset' | 'r_type' | 'r_sym', value: number | bigint): this {
    const o = this.relOffset(relName, i);
    if (field === 'r_offset') put(this.bytes, o, 8, value);
    else if (field === 'r_type') put(this.bytes, o + 8, 4, value);
    else put(this.bytes, o + 12, 4, value);
    return this;
  }

  relField(relName: string, i: number, field: 'r_offset' | 'r_type' | 'r_sym'): number {
    const o = this.relOffset(relName, i);
    return field === 'r_offset' ? get(this.bytes, o, 8) : field === 'r_type' ? get(this.bytes, o + 8, 4) : get(this.bytes, o + 12, 4);
  }

  /** Number of entries of a relocation section. */
  relCount(relName: string): number {
    return this.section(relName).size / 16;
  }
}

// ---------------------------------------------------------------------------------------------
// Mutations

export interface Mutation {
  bytes: Uint8Array;
  /** Human-readable list of what was changed. */
  desc: string;
}

const INTERESTING: readonly bigint[] = [
  0n, 1n, 2n, 3n, 4n, 7n, 8n, 9n, 10n, 15n, 16n, 24n, 31n, 32n, 56n, 63n, 64n, 127n, 128n, 247n, 255n, 256n,
  0x7fffn, 0x8000n, 0xff00n, 0xfff1n, 0xfff2n, 0xfffen, 0xffffn, 0x10000n, 0x7fffffffn, 0x80000000n, 0xfffffff8n,
  0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xfffffffffffffff8n, 0xffffffffffffffffn,
  (1n << 53n) - 1n, 1n << 53n,
];

function randomValue(rng: Prng, size: 1 | 2 | 4 | 8, current: number, fileLength: number, layout: ElfLayout): bigint {
  const bits = BigInt(size * 8);
  switch (rng.below(8)) {
    case 0:
    case 1:
      return BigInt.asUintN(Number(bits), rng.pick(INTERESTING));
    case 2:
      return BigInt.asUintN(Number(bits), BigInt(Math.round(current)) + BigInt(rng.below(33) - 16));
    case 3:
      return BigInt.asUintN(Number(bits), BigInt(Math.round(current)) + BigInt((rng.below(9) - 4) * 8));
    case 4:
      return BigInt(rng.u32()) & ((1n << bits) - 1n);
    case 5:
      return BigInt.asUintN(Number(bits), (BigInt(rng.u32()) << 32n) | BigInt(rng.u32()));
    case 6: // an index: of a section, a symbol...
      return BigInt(rng.below(layout.shnum + 8));
    default: // a position near the end of the file
      return BigInt.asUintN(Number(bits), BigInt(fileLength - rng.below(80) + rng.below(16)));
  }
}

function mutateOnce(b: Uint8Array, layout: ElfLayout, rng: Prng, originalLength: number): { bytes: Uint8Array; desc: string } {
  const kind = rng.below(100);
  if (kind < 45 && layout.fields.length > 0) {
    const f = rng.pick(layout.fields);
    if (f.offset + f.size > b.length) return { bytes: b, desc: `skip ${f.name}` };
    const cur = get(b, f.offset, f.size);
    const v = randomValue(rng, f.size, cur, originalLength, layout);
    put(b, f.offset, f.size, v);
    return { bytes: b, desc: `${f.name}=0x${v.toString(16)}` };
  }
  if (kind < 60) {
    const n = 1 + rng.below(4);
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
      const off = rng.below(b.length);
      const bit = rng.below(8);
      b[off] = b[off]! ^ (1 << bit);
      parts.push(`${off}.${bit}`);
    }
    return { bytes: b, desc: `flip ${parts.join(',')}` };
  }
  if (kind < 75) {
    const off = rng.below(b.length);
    const len = 1 + rng.below(8);
    const mode = rng.below(3);
    for (let i = off; i < Math.min(b.length, off + len); i++) b[i] = mode === 0 ? 0 : mode === 1 ? 0xff : rng.below(256);
    return { bytes: b, desc: `set[${off}+${len}]=${mode === 0 ? '00' : mode === 1 ? 'ff' : 'rand'}` };
  }
  if (kind < 85) {
    const len = rng.chance(0.3) ? rng.below(Math.min(b.length, 80)) : rng.below(b.length);
    return { bytes: b.slice(0, len), desc: `truncate ${len}` };
  }
  if (kind < 93) {
    // Copy a chunk from one place to another (duplicates headers, entries...).
    const len = rng.pick([8, 16, 24, 64]);
    const from = rng.below(Math.max(1, b.length - len));
    const to = rng.below(Math.max(1, b.length - len));
    b.copyWithin(to, from, from + len);
    return { bytes: b, desc: `copy ${from}->${to} len ${len}` };
  }
  // Random u32/u64 written at a random aligned place.
  const size = rng.chance(0.5) ? 4 : 8;
  const off = rng.below(Math.max(1, Math.floor(b.length / size))) * size;
  if (off + size > b.length) return { bytes: b, desc: 'skip' };
  const v = size === 4 ? BigInt(rng.u32()) : (BigInt(rng.u32()) << 32n) | BigInt(rng.u32());
  put(b, off, size, v);
  return { bytes: b, desc: `u${size * 8}@${off}=0x${v.toString(16)}` };
}

/** Case `index` of a run seeded with `seed`, mutating `base` (whose layout is `layout`). */
export function mutate(base: Uint8Array, layout: ElfLayout, seed: number, index: number): Mutation {
  const rng = new Prng(caseSeed(seed, index));
  let bytes: Uint8Array = base.slice();
  const rounds = rng.chance(0.7) ? 1 : 2 + rng.below(4);
  const descs: string[] = [];
  for (let i = 0; i < rounds && bytes.length > 0; i++) {
    const m = mutateOnce(bytes, layout, rng, base.length);
    bytes = m.bytes;
    descs.push(m.desc);
  }
  return { bytes, desc: descs.join('; ') };
}

// ---------------------------------------------------------------------------------------------
// Checking one input

/** Structural sanity of a returned image: what the VM will rely on. */
export function checkImage(img: ProgramImage): string | undefined {
  const n = img.code.length / 8;
  if (!Number.isInteger(n)) return 'code length is not a multiple of 8';
  if (n === 0) return 'empty code';
  if (!(img.entry >= 0 && img.entry < n)) return `entry ${img.entry} outside code (${n} slots)`;
  for (const f of img.functions) {
    if (!(f.pc >= 0 && f.length >= 1 && f.pc + f.length <= n)) return `function ${f.name} [${f.pc}, +${f.length}) outside code`;
  }
  if (!img.functions.some((f) => f.pc === img.entry)) return 'entry is not a function start';
  for (const d of img.dataRelocs) {
    if (!(d.pc >= 0 && d.pc + 1 < n) || img.code[d.pc * 8] !== OP_LDDW) return `data reloc at pc ${d.pc} is not on an lddw`;
    const s = img.sections[d.section];
    if (s === undefined) return `data reloc at pc ${d.pc}: no section ${d.section}`;
    if (!(d.offset >= 0) || !Number.isSafeInteger(d.offset)) return `data reloc at pc ${d.pc}: bad offset ${d.offset}`;
  }
  for (const r of img.sectionRelocs) {
    const s = img.sections[r.section];
    if (s === undefined || img.sections[r.target] === undefined) return 'section reloc with a bad section index';
    if (!(r.offset >= 0 && r.offset + r.width <= s.bytes.length)) return `section reloc at ${s.name}+${r.offset} outside`;
  }
  for (const h of img.helperRelocs) {
    if (!(h.pc >= 0 && h.pc < n)) return `helper reloc pc ${h.pc} outside code`;
    const insn = decodeInsn(img.code, h.pc);
    if (insn.opcode !== OP_CALL || insn.src !== 0 || insn.imm !== -1 || h.name === '') return `helper reloc at pc ${h.pc} is not a placeholder call`;
  }
  for (const s of img.sections) {
    if (!(s.align >= 1 && (s.align & (s.align - 1)) === 0)) return `section ${s.name} alignment ${s.align}`;
  }
  return undefined;
}

/**
 * Runs loadElf and inspectElf on one input. Returns undefined when both either returned a sane
 * result or threw a genuine ElfError; otherwise a description of the failure (a non-ElfError,
 * an ElfError wrapping an internal error, or an image that breaks the ProgramImage contract).
 */
export function checkInput(bytes: Uint8Array): string | undefined {
  const attempts: [string, () => unknown][] = [
    ['loadElf', () => loadElf(bytes)],
    ['inspectElf', () => inspectElf(bytes)],
  ];
  for (const [name, run] of attempts) {
    let result: unknown;
    try {
      result = run();
    } catch (e) {
      if (!(e instanceof ElfError)) {
        return `${name} threw a non-ElfError: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
      }
      if (e.cause !== undefined) {
        const c = e.cause;
        return `${name} threw an ElfError wrapping an internal error: ${e.message}\n${c instanceof Error ? (c.stack ?? c.message) : String(c)}`;
      }
      continue;
    }
    if (name === 'loadElf') {
      const problem = checkImage(result as ProgramImage);
      if (problem !== undefined) return `loadElf returned a broken image: ${problem}`;
    }
  }
  return undefined;
}
