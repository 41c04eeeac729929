/**
 * ELF loader tests on real clang 14 objects (plugins-c/elf-tests/*.c, compiled with
 * `clang -O2 -target bpf -mcpu=v3 -Wall -I plugins-c/include [build-flags] -c`), and one error
 * test per malformed case, each made by patching a real object's bytes.
 */

import { readFileSync } from 'node:fs';
import elfy from 'elfy';
import { describe, expect, it } from 'vitest';
import { ElfError, type VmErrorCode } from '../../src/vm/errors.js';
import { inspectElf, isElf, loadElf, type ElfLoadOptions } from '../../src/vm/elf.js';
import { CALL_HELPER, CALL_LOCAL, MAX_INSNS, OP_CALL, OP_LDDW, decodeInsn } from '../../src/vm/isa.js';
import type { ProgramImage } from '../../src/vm/program.js';
import { Patcher, get, put } from './elf-mutator.js';

const DIR = new URL('../../plugins-c/elf-tests/', import.meta.url);

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`${name}.o`, DIR)));
}

function patch(name: string): Patcher {
  return new Patcher(fixture(name));
}

function fn(img: ProgramImage, name: string): { pc: number; length: number } {
  const f = img.functions.find((g) => g.name === name);
  if (f === undefined) throw new Error(`no function ${name}`);
  return f;
}

function sectionIndex(img: ProgramImage, name: string): number {
  const i = img.sections.findIndex((s) => s.name === name);
  if (i < 0) throw new Error(`no section ${name}`);
  return i;
}

/** Linked pc of the target of the local call at `pc`. */
function callTarget(img: ProgramImage, pc: number): number {
  const insn = decodeInsn(img.code, pc);
  expect(insn.opcode, `opcode at pc ${pc}`).toBe(OP_CALL);
  expect(insn.src, `src at pc ${pc}`).toBe(CALL_LOCAL);
  return pc + insn.imm + 1;
}

/** Every local call lands on the first slot of a function. */
function expectCallsLandOnFunctions(img: ProgramImage): number {
  const starts = new Set(img.functions.map((f) => f.pc));
  let calls = 0;
  for (let pc = 0; pc < img.code.length / 8; pc++) {
    const insn = decodeInsn(img.code, pc);
    if (insn.opcode === OP_LDDW) {
      pc++;
      continue;
    }
    if (insn.opcode === OP_CALL && insn.src === CALL_LOCAL) {
      calls++;
      expect(starts.has(pc + insn.imm + 1), `call at pc ${pc} lands on pc ${pc + insn.imm + 1}`).toBe(true);
    }
  }
  return calls;
}

function cString(bytes: Uint8Array, off: number): string {
  const end = bytes.indexOf(0, off);
  return new TextDecoder().decode(bytes.subarray(off, end < 0 ? bytes.length : end));
}

/** The string a DataReloc at `pc` points to. */
function lddwString(img: ProgramImage, pc: number): string {
  const d = img.dataRelocs.find((r) => r.pc === pc);
  if (d === undefined) throw new Error(`no data reloc at pc ${pc}`);
  return cString(img.sections[d.section]!.bytes, d.offset);
}

function expectElfError(
  run: () => unknown,
  code: VmErrorCode,
  message: RegExp,
  section?: string,
): ElfError {
  let caught: unknown;
  try {
    run();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected an ElfError').toBeInstanceOf(ElfError);
  const err = caught as ElfError;
  expect(err.name).toBe('ElfError');
  expect(err.code, err.message).toBe(code);
  expect(err.message).toMatch(message);
  expect(err.cause, 'not an internal error').toBeUndefined();
  if (section !== undefined) expect(err.section).toBe(section);
  return err;
}

function loadBad(bytes: Uint8Array, opts?: ElfLoadOptions) {
  return () => loadElf(bytes, opts);
}

// ---------------------------------------------------------------------------------------------

describe('elfy', () => {
  it('is used for the section table, but its sh_addralign / sh_entsize are wrong (read at +46 / +54)', () => {
    const bytes = fixture('data');
    const parsed = elfy.parse(Buffer.from(bytes));
    const rodata = parsed.body.sections.find((s) => s.name === '.rodata')!;
    const str = parsed.body.sections.find((s) => s.name === '.rodata.str1.1')!;
    expect(rodata.addralign).not.toBe(8);
    expect(str.entsize).not.toBe(1);
    const img = loadElf(bytes);
    expect(img.sections.find((s) => s.name === '.rodata')!.align).toBe(8);
    expect(img.sections.find((s) => s.name === '.rodata.str1.1')!.align).toBe(1);
  });

  it('would throw an assertion error on a bad e_shstrndx: the loader checks first', () => {
    const p = patch('data');
    p.ehdr('e_shstrndx', p.section('.text').index);
    expect(() => elfy.parse(Buffer.from(p.bytes))).toThrow();
    expectElfError(loadBad(p.bytes), 'ELF_MALFORMED', /not STRTAB/);
  });
});

describe('isElf', () => {
  it('recognises the magic', () => {
    expect(isElf(fixture('calls'))).toBe(true);
    expect(isElf(new Uint8Array([0x7f, 0x45, 0x4c]))).toBe(false);
    expect(isElf(new Uint8Array([0x95, 0, 0, 0, 0, 0, 0, 0]))).toBe(false);
    expect(isElf(new Uint8Array(0))).toBe(false);
  });
});

describe('calls.o: BPF-to-BPF calls inside .text', () => {
  const img = loadElf(fixture('calls'));

  it('lists every function with its pc and length, in code order', () => {
    expect(img.functions).toEqual([
      { name: 'pluglet', pc: 0, length: 17 },
      { name: 'square', pc: 17, length: 4 },
      { name: 'fib', pc: 21, length: 14 },
      { name: 'add3', pc: 35, length: 7 },
    ]);
    expect(img.code.length).toBe(42 * 8);
    expect(img.entry).toBe(0);
    expect(img.sections).toEqual([]);
    expect(img.dataRelocs).toEqual([]);
    expect(img.sectionRelocs).toEqual([]);
    expect(img.helperRelocs).toEqual([]);
  });

  it('keeps clang-resolved static calls and rewrites the relocated global call', () => {
    expect(callTarget(img, 3)).toBe(fn(img, 'square').pc); // static, no relocation
    expect(callTarget(img, 7)).toBe(fn(img, 'fib').pc);
    expect(callTarget(img, 11)).toBe(fn(img, 'add3').pc); // R_BPF_64_32 against add3
    expect(callTarget(img, 27)).toBe(fn(img, 'fib').pc); // recursion
    expect(callTarget(img, 38)).toBe(fn(img, 'square').pc);
    expect(expectCallsLandOnFunctions(img)).toBe(5);
  });

  it('leaves a helper called by raw id alone', () => {
    expect(decodeInsn(img.code, 14)).toEqual({ opcode: OP_CALL, dst: 0, src: CALL_HELPER, off: 0, imm: 35 });
  });

  it('chooses the entry by name', () => {
    expect(loadElf(fixture('calls'), { entry: 'add3' }).entry).toBe(35);
    expect(loadElf(fixture('calls'), { entry: 'fib' }).entry).toBe(21);
  });

  it('accepts the legacy relocation number 2 for calls in code', () => {
    const p = patch('calls');
    expect(p.relField('.rel.text', 0, 'r_type')).toBe(10);
    p.rel('.rel.text', 0, 'r_type', 2);
    expect(loadElf(p.bytes)).toEqual(img);
  });

  it('accepts EM_NONE and a buffer at an odd byte offset', () => {
    const p = patch('calls').ehdr('e_machine', 0);
    expect(loadElf(p.bytes)).toEqual(img);
    const raw = fixture('calls');
    const holder = new Uint8Array(raw.length + 3);
    holder.set(raw, 3);
    expect(loadElf(holder.subarray(3))).toEqual(img);
  });

  it('gives a function without st_size the slots up to the next function start', () => {
    const p = patch('calls').sym('square', 'st_size', 0).sym('add3', 'st_size', 0);
    expect(loadElf(p.bytes).functions).toEqual(img.functions);
    // An alias at the same offset (as __attribute__((alias)) makes) runs to the next distinct start.
    const q = patch('calls').sym('fib', 'st_value', 0x88).sym('fib', 'st_size', 0);
    expect(loadElf(q.bytes).functions).toEqual([
      { name: 'pluglet', pc: 0, length: 17 },
      { name: 'fib', pc: 17, length: 18 },
      { name: 'square', pc: 17, length: 4 },
      { name: 'add3', pc: 35, length: 7 },
    ]);
  });

  it('does not modify its input', () => {
    const bytes = fixture('calls');
    const copy = bytes.slice();
    loadElf(bytes);
    inspectElf(bytes);
    expect(bytes).toEqual(copy);
  });
});

describe('data.o: strings, tables, globals, pointer arrays, helpers', () => {
  const img = loadElf(fixture('data'));

  it('turns .rodata, .data, .rodata.str1.1 and .bss into data sections', () => {
    expect(img.sections.map((s) => [s.name, s.bytes.length, s.writable, s.align])).toEqual([
      ['.rodata', 0x30, false, 8],
      ['.data', 0x20, true, 8],
      ['.rodata.str1.1', 0x43, false, 1],
      ['.bss', 0x24, true, 8],
    ]);
    expect(img.sections[sectionIndex(img, '.bss')]!.bytes.every((b) => b === 0)).toBe(true);
    const data = img.sections[sectionIndex(img, '.data')]!.bytes;
    expect(get(data, 0, 8)).toBe(42); // counter
    expect([...data.subarray(8, 11)]).toEqual([1, 2, 3]); // flags
  });

  it('points every lddw at the right section and offset', () => {
    const rodata = sectionIndex(img, '.rodata');
    const data = sectionIndex(img, '.data');
    const str = sectionIndex(img, '.rodata.str1.1');
    const bss = sectionIndex(img, '.bss');
    expect(img.dataRelocs).toEqual([
      { pc: 1, section: str, offset: 30 },
      { pc: 7, section: str, offset: 44 },
      { pc: 17, section: rodata, offset: 0 }, // table
      { pc: 26, section: bss, offset: 0 }, // scratch
      { pc: 28, section: bss, offset: 0 },
      { pc: 32, section: bss, offset: 32 }, // hits
      { pc: 42, section: data, offset: 8 }, // flags
      { pc: 46, section: data, offset: 0 }, // counter
      { pc: 52, section: rodata, offset: 24 }, // rnames
      { pc: 60, section: data, offset: 16 }, // wnames
      { pc: 62, section: data, offset: 16 },
      { pc: 65, section: str, offset: 61 },
      { pc: 84, section: data, offset: 0 },
      { pc: 90, section: bss, offset: 32 },
    ]);
    expect(lddwString(img, 1)).toBe('pluglet start');
    expect(lddwString(img, 7)).toBe('0123456789abcdef');
    expect(lddwString(img, 65)).toBe('gamma');
    const table = img.sections[rodata]!.bytes;
    expect([0, 1, 2, 3, 4, 5].map((i) => get(table, i * 4, 4))).toEqual([2, 3, 5, 7, 11, 13]);
  });

  it('clears the relocated lddw immediates and leaves every other byte of .text as compiled', () => {
    const p = patch('data');
    const text = p.section('.text');
    const original = p.bytes.subarray(text.offset, text.offset + text.size);
    const patched = new Set<number>();
    for (const d of img.dataRelocs) {
      expect(decodeInsn(img.code, d.pc).opcode).toBe(OP_LDDW);
      expect(decodeInsn(img.code, d.pc).imm).toBe(0);
      expect(decodeInsn(img.code, d.pc + 1).imm).toBe(0);
      patched.add(d.pc).add(d.pc + 1);
    }
    for (const h of img.helperRelocs) patched.add(h.pc);
    for (let pc = 0; pc < original.length / 8; pc++) {
      if (patched.has(pc)) continue;
      expect([...img.code.subarray(pc * 8, pc * 8 + 8)], `pc ${pc}`).toEqual([...original.subarray(pc * 8, pc * 8 + 8)]);
    }
  });

  it('turns calls to undefined externs into named helper calls', () => {
    expect(img.helperRelocs).toEqual([
      { pc: 3, name: 'helper_log' },
      { pc: 10, name: 'my_memcpy' },
      { pc: 21, name: 'get_time' },
      { pc: 56, name: 'helper_log' },
      { pc: 75, name: 'helper_log' },
    ]);
    for (const h of img.helperRelocs) {
      const insn = decodeInsn(img.code, h.pc);
      expect(insn).toMatchObject({ opcode: OP_CALL, src: CALL_HELPER, imm: -1 });
    }
  });

  it('turns pointer arrays into section relocations with the addend from the bytes', () => {
    const rodata = sectionIndex(img, '.rodata');
    const data = sectionIndex(img, '.data');
    const str = sectionIndex(img, '.rodata.str1.1');
    expect(img.sectionRelocs).toEqual([
      { section: rodata, offset: 24, width: 8, target: str, addend: 0 },
      { section: rodata, offset: 32, width: 8, target: str, addend: 6 },
      { section: rodata, offset: 40, width: 8, target: str, addend: 13 },
      { section: data, offset: 16, width: 8, target: str, addend: 19 },
      { section: data, offset: 24, width: 8, target: str, addend: 25 },
    ]);
    const strings = img.sections[str]!.bytes;
    expect(img.sectionRelocs.map((r) => cString(strings, r.addend))).toEqual(['first', 'second', 'third', 'alpha', 'beta']);
    for (const r of img.sectionRelocs) {
      expect([...img.sections[r.section]!.bytes.subarray(r.offset, r.offset + r.width)].every((b) => b === 0)).toBe(true);
    }
  });

  it('ignores R_BPF_NONE', () => {
    const p = patch('data').rel('.rel.data', 0, 'r_type', 0);
    expect(loadElf(p.bytes).sectionRelocs).toHaveLength(4);
  });

  it('honours maxInsns', () => {
    expect(loadElf(fixture('data'), { maxInsns: 95 }).code.length).toBe(95 * 8);
    expect(MAX_INSNS).toBeGreaterThan(95);
  });
});

describe('multisec.o: functions in custom sections, calls across sections', () => {
  const img = loadElf(fixture('multisec'));

  it('links .text, pluglet2 and pluglet3 in section order', () => {
    expect(img.functions).toEqual([
      { name: 'pluglet', pc: 0, length: 16 },
      { name: 'text_helper', pc: 16, length: 7 },
      { name: 'p2_entry', pc: 23, length: 13 },
      { name: 'p2_triple', pc: 36, length: 5 },
      { name: 'p2_double', pc: 41, length: 4 },
      { name: 'p3_entry', pc: 45, length: 11 },
    ]);
    expect(img.entry).toBe(0);
    expect(img.code.length).toBe(56 * 8);
  });

  it('resolves calls against function symbols and against STT_SECTION symbols + imm', () => {
    expect(callTarget(img, 2)).toBe(fn(img, 'p2_entry').pc); // global, other section
    expect(callTarget(img, 5)).toBe(fn(img, 'p3_entry').pc);
    expect(callTarget(img, 9)).toBe(fn(img, 'p2_triple').pc); // `call 12` against section pluglet2: (12+1)*8 = 0x68
    expect(callTarget(img, 12)).toBe(fn(img, 'text_helper').pc); // same section, no relocation
    expect(callTarget(img, 24)).toBe(fn(img, 'p2_double').pc); // inside pluglet2, no relocation
    expect(callTarget(img, 28)).toBe(fn(img, 'p2_triple').pc);
    expect(callTarget(img, 32)).toBe(fn(img, 'text_helper').pc); // `call 15` against section .text: 0x80
    expect(callTarget(img, 38)).toBe(fn(img, 'p2_double').pc);
    expect(callTarget(img, 50)).toBe(fn(img, 'p2_entry').pc);
    expect(callTarget(img, 53)).toBe(fn(img, 'p2_double').pc); // `call 17` against section pluglet2: 0x90
    expect(expectCallsLandOnFunctions(img)).toBe(10);
    expect(img.helperRelocs).toEqual([
      { pc: 19, name: 'helper_log' },
      { pc: 48, name: 'helper_log' },
    ]);
  });

  it('resolves strings used from several code sections', () => {
    expect(img.sections.map((s) => s.name)).toEqual(['.rodata.str1.1']);
    expect(lddwString(img, 17)).toBe('text');
    expect(lddwString(img, 46)).toBe('p3');
  });

  it('takes any function as the entry', () => {
    expect(loadElf(fixture('multisec'), { entry: 'p3_entry' }).entry).toBe(45);
    expect(loadElf(fixture('multisec'), { entry: 'p2_triple' }).entry).toBe(36);
  });
});

describe('notext.o: no code in .text', () => {
  const img = loadElf(fixture('notext'));

  it('defaults to the first function of the first executable section', () => {
    expect(img.functions).toEqual([
      { name: 'first', pc: 0, length: 8 },
      { name: 'second', pc: 8, length: 3 },
      { name: 'weigh', pc: 11, length: 9 },
    ]);
    expect(img.entry).toBe(0);
    expect(callTarget(img, 2)).toBe(11);
    expect(callTarget(img, 5)).toBe(11);
    expect(callTarget(img, 8)).toBe(0);
  });

  it('includes an allocated section that is only reached through a relocation', () => {
    expect(img.sections.map((s) => [s.name, s.writable, s.align])).toEqual([['consts', false, 8]]);
    expect(img.dataRelocs).toEqual([{ pc: 14, section: 0, offset: 0 }]);
    const w = img.sections[0]!.bytes;
    expect([0, 1, 2, 3].map((i) => get(w, i * 8, 8))).toEqual([10, 20, 30, 40]);
  });
});

describe('ptr32.o: 32- and 64-bit pointers in data', () => {
  const img = loadElf(fixture('ptr32'));

  it('maps R_BPF_64_ABS32, R_BPF_64_NODYLD32 and R_BPF_64_ABS64 to section relocations', () => {
    expect(img.sections.map((s) => [s.name, s.writable])).toEqual([
      ['.data.ptrs', true],
      ['.rodata', false],
      ['.data', true],
    ]);
    expect(img.sectionRelocs).toEqual([
      { section: 0, offset: 0, width: 4, target: 1, addend: 4 }, // .long ro_words+4 (ABS32)
      { section: 0, offset: 4, width: 4, target: 2, addend: 8 }, // .long rw_words+8 (NODYLD32)
      { section: 0, offset: 8, width: 8, target: 1, addend: 12 }, // .quad ro_words+12 (ABS64)
    ]);
    expect(img.dataRelocs).toEqual([
      { pc: 3, section: 1, offset: 0 },
      { pc: 6, section: 0, offset: 0 },
      { pc: 14, section: 2, offset: 0 },
    ]);
  });
});

describe('debug.o: compiled with -g', () => {
  const img = loadElf(fixture('debug'));

  it('ignores .BTF, .BTF.ext, .debug_* and their relocations', () => {
    expect(img.sections.map((s) => s.name)).toEqual(['.rodata.str1.1', '.data', '.bss', '.rodata']);
    expect(img.functions).toEqual([
      { name: 'pluglet', pc: 0, length: 44 },
      { name: 'dist2', pc: 44, length: 10 },
    ]);
    expect(callTarget(img, 35)).toBe(44);
    expect(img.helperRelocs.map((h) => h.name)).toEqual(['helper_log', 'helper_log']);
    expect(lddwString(img, 14)).toBe('debug pluglet');
    const str = img.sections[0]!.bytes;
    expect(img.sectionRelocs.map((r) => cString(str, r.addend))).toEqual(['even', 'odd']);
    const info = inspectElf(fixture('debug'));
    expect(info.sections.some((s) => s.name === '.BTF.ext' && s.type === 'PROGBITS')).toBe(true);
    expect(info.relocations.every((r) => !r.section.startsWith('.BTF') && !r.section.startsWith('.debug'))).toBe(true);
  });

  it('embeds no absolute path', () => {
    const text = new TextDecoder('latin1').decode(fixture('debug'));
    expect(text).toContain('plugins-c/elf-tests/debug.c');
    expect(text).not.toMatch(/\/(work|home|tmp|root|Users)\//);
  });
});

describe('inspectElf', () => {
  it('describes sections, functions, relocations and helpers', () => {
    const info = inspectElf(fixture('multisec'));
    expect(info.machine).toBe(247);
    expect(info.sections.find((s) => s.name === 'pluglet2')).toMatchObject({ type: 'PROGBITS', flags: 'AX', size: 0xb0 });
    expect(info.sections.find((s) => s.name === '.rel.text')).toMatchObject({ type: 'REL', flags: 'I' });
    expect(info.sections.find((s) => s.name === '.rodata.str1.1')).toMatchObject({ flags: 'AMS' });
    expect(info.functions).toEqual([
      { name: 'pluglet', section: '.text', offset: 0, size: 128, global: true },
      { name: 'text_helper', section: '.text', offset: 128, size: 56, global: false },
      { name: 'p2_entry', section: 'pluglet2', offset: 0, size: 104, global: true },
      { name: 'p2_triple', section: 'pluglet2', offset: 104, size: 40, global: false },
      { name: 'p2_double', section: 'pluglet2', offset: 144, size: 32, global: false },
      { name: 'p3_entry', section: 'pluglet3', offset: 0, size: 88, global: true },
    ]);
    expect(info.relocations).toContainEqual({ section: '.text', offset: 0x48, type: 10, typeName: 'R_BPF_64_32', symbol: 'pluglet2', addend: 0x68 });
    expect(info.relocations).toContainEqual({ section: 'pluglet2', offset: 0x48, type: 10, typeName: 'R_BPF_64_32', symbol: '.text', addend: 0x80 });
    expect(info.relocations).toContainEqual({ section: '.text', offset: 0x88, type: 1, typeName: 'R_BPF_64_64', symbol: '.rodata.str1.1', addend: 3 });
    expect(info.relocations).toContainEqual({ section: '.text', offset: 0x10, type: 10, typeName: 'R_BPF_64_32', symbol: 'p2_entry', addend: 0 });
    expect(info.relocations).toHaveLength(10);
    expect(info.helpers).toEqual(['helper_log']);
  });

  it('reports data relocations and every helper once', () => {
    const info = inspectElf(fixture('data'));
    expect(info.helpers).toEqual(['helper_log', 'my_memcpy', 'get_time']);
    expect(info.relocations.filter((r) => r.section === '.rodata')).toEqual([
      { section: '.rodata', offset: 24, type: 2, typeName: 'R_BPF_64_ABS64', symbol: '.rodata.str1.1', addend: 0 },
      { section: '.rodata', offset: 32, type: 2, typeName: 'R_BPF_64_ABS64', symbol: '.rodata.str1.1', addend: 6 },
      { section: '.rodata', offset: 40, type: 2, typeName: 'R_BPF_64_ABS64', symbol: '.rodata.str1.1', addend: 13 },
    ]);
    const ptr = inspectElf(fixture('ptr32'));
    expect(ptr.relocations.filter((r) => r.section === '.data.ptrs').map((r) => [r.typeName, r.addend])).toEqual([
      ['R_BPF_64_ABS32', 4],
      ['R_BPF_64_NODYLD32', 8],
      ['R_BPF_64_ABS64', 12],
    ]);
  });

  it('does not need an entry point', () => {
    const p = patch('calls');
    for (const name of ['pluglet', 'square', 'fib', 'add3']) p.sym(name, 'st_info', (get(p.bytes, p.symOffset(name) + 4, 1) & 0xf0) | 0);
    expect(inspectElf(p.bytes).functions).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('errors: ELF header', () => {
  it('empty input and bad magic', () => {
    expectElfError(loadBad(new Uint8Array(0)), 'ELF_MALFORMED', /bad magic/);
    const b = fixture('calls');
    b[1] = 0x46;
    expectElfError(loadBad(b), 'ELF_MALFORMED', /not an ELF object: bad magic/);
    expectElfError(() => inspectElf(b), 'ELF_MALFORMED', /bad magic/);
  });

  it('truncated header', () => {
    const err = expectElfError(loadBad(fixture('calls').slice(0, 40)), 'ELF_MALFORMED', /truncated file: 40 bytes, but the ELF header alone needs 64/);
    expect(err.offset).toBe(40);
  });

  it('truncated section header table', () => {
    const b = fixture('calls');
    expectElfError(loadBad(b.slice(0, b.length - 10)), 'ELF_MALFORMED', /section header table \(\d+ entries of 64 bytes at 0x[0-9a-f]+\) extends past the end of the file/);
  });

  it('wrong class', () => {
    const b = fixture('calls');
    b[4] = 1;
    expectElfError(loadBad(b), 'ELF_UNSUPPORTED', /wrong ELF class 1: expected 2 \(ELFCLASS64\); 32-bit ELF is not supported/);
  });

  it('wrong byte order', () => {
    const b = fixture('calls');
    b[5] = 2;
    expectElfError(loadBad(b), 'ELF_UNSUPPORTED', /wrong byte order 2: expected 1 \(ELFDATA2LSB, little-endian\)/);
  });

  it('wrong identification version, ELF version and OS ABI', () => {
    let b = fixture('calls');
    b[6] = 0;
    expectElfError(loadBad(b), 'ELF_UNSUPPORTED', /wrong ELF identification version 0/);
    b = patch('calls').ehdr('e_version', 2).bytes;
    expectElfError(loadBad(b), 'ELF_UNSUPPORTED', /wrong ELF version 2: expected 1/);
    b = fixture('calls');
    b[7] = 3;
    expectElfError(loadBad(b), 'ELF_UNSUPPORTED', /wrong OS ABI 3/);
  });

  it('wrong type', () => {
    const b = patch('calls').ehdr('e_type', 2).bytes;
    expectElfError(loadBad(b), 'ELF_UNSUPPORTED', /wrong object type 2 \(ET_EXEC\): expected 1 \(ET_REL\)/);
  });

  it('wrong machine', () => {
    const b = patch('calls').ehdr('e_machine', 62).bytes;
    const err = expectElfError(loadBad(b), 'ELF_UNSUPPORTED', /wrong machine 62: expected 247 \(EM_BPF\) or 0 \(EM_NONE\)/);
    expect(err.offset).toBe(18);
  });

  it('bad header size', () => {
    expectElfError(loadBad(patch('calls').ehdr('e_ehsize', 52).bytes), 'ELF_MALFORMED', /bad ELF header size 52/);
  });

  it('too many sections (bounded before anything is read)', () => {
    expectElfError(loadBad(patch('calls').ehdr('e_shnum', 5000).bytes), 'ELF_UNSUPPORTED', /too many sections: 5000 \(max 4096\)/);
  });

  it('section header entry size 0 (which makes elfy loop forever)', () => {
    expectElfError(loadBad(patch('calls').ehdr('e_shentsize', 0).bytes), 'ELF_MALFORMED', /bad section header entry size 0: expected 64/);
  });

  it('program header entry size 0 (which makes elfy loop forever)', () => {
    const b = patch('calls').ehdr('e_phnum', 1).ehdr('e_phoff', 64).bytes;
    expectElfError(loadBad(b), 'ELF_MALFORMED', /bad program header entry size 0/);
    const c = patch('calls').ehdr('e_phnum', 1000).ehdr('e_phoff', 64).ehdr('e_phentsize', 56).bytes;
    expectElfError(loadBad(c), 'ELF_MALFORMED', /program header table \(1000 entries at 0x40\) is outside the file/);
  });

  it('section header table out of the file, missing, or extended numbering', () => {
    expectElfError(loadBad(patch('calls').ehdr('e_shoff', 2n ** 62n).bytes), 'ELF_MALFORMED', /section header table .* extends past the end of the file/);
    expectElfError(loadBad(patch('calls').ehdr('e_shoff', 0).bytes), 'ELF_MALFORMED', /no section header table/);
    expectElfError(loadBad(patch('calls').ehdr('e_shnum', 0).bytes), 'ELF_UNSUPPORTED', /extended section numbering/);
  });

  it('bad string table index', () => {
    const p = patch('calls');
    expectElfError(loadBad(patch('calls').ehdr('e_shstrndx', p.layout.shnum).bytes), 'ELF_MALFORMED', /bad section name string table index \d+ \(e_shstrndx\): the file has \d+ sections/);
    expectElfError(loadBad(patch('calls').ehdr('e_shstrndx', 0).bytes), 'ELF_MALFORMED', /bad section name string table index 0/);
    const text = p.section('.text').index;
    expectElfError(loadBad(patch('calls').ehdr('e_shstrndx', text).bytes), 'ELF_MALFORMED', /section 2 has type PROGBITS, not STRTAB/);
    expectElfError(loadBad(patch('calls').ehdr('e_shstrndx', 0xffff).bytes), 'ELF_UNSUPPORTED', /SHN_XINDEX/);
  });
});

describe('errors: sections', () => {
  it('section name string table out of the file', () => {
    const b = patch('calls').shdr('.strtab', 'sh_size', 0x100000).bytes;
    expectElfError(loadBad(b), 'ELF_MALFORMED', /section name string table \(section 1, offset 0x[0-9a-f]+, size 0x100000\) extends past the end of the file/);
  });

  it('section data out of the file', () => {
    const p = patch('data');
    p.shdr('.rodata', 'sh_offset', p.bytes.length - 4);
    expectElfError(loadBad(p.bytes), 'ELF_MALFORMED', /section 4 \(\.rodata\) data \(offset 0x[0-9a-f]+, size 0x30\) extends past the end of the file/, '.rodata');
    const q = patch('data').shdr('.rodata', 'sh_size', 2n ** 40n);
    expectElfError(loadBad(q.bytes), 'ELF_MALFORMED', /size 0x10000000000\) extends past the end/, '.rodata');
    // Ignored sections are checked too: a broken file is broken.
    const r = patch('debug').shdr('.debug_info', 'sh_size', 0xffffffff);
    expectElfError(loadBad(r.bytes), 'ELF_MALFORMED', /\.debug_info\) data .* extends past the end/, '.debug_info');
  });

  it('section name outside the string table', () => {
    const b = patch('data').shdr('.rodata', 'sh_name', 0xffff).bytes;
    expectElfError(loadBad(b), 'ELF_MALFORMED', /section 4: name offset 0xffff is outside the section name string table/);
  });

  it('alignment that is not a power of two', () => {
    const b = patch('data').shdr('.rodata', 'sh_addralign', 3).bytes;
    expectElfError(loadBad(b), 'ELF_MALFORMED', /\(\.rodata\) has alignment 3, which is not a power of two/, '.rodata');
  });

  it('code section size not a multiple of 8', () => {
    const p = patch('calls');
    p.shdr('.text', 'sh_size', p.section('.text').size - 4);
    expectElfError(loadBad(p.bytes), 'ELF_MALFORMED', /code section size 0x14c is not a multiple of 8/, '.text');
  });

  it('too many instructions', () => {
    expectElfError(loadBad(fixture('data'), { maxInsns: 94 }), 'ELF_UNSUPPORTED', /too many instructions: 95 slots in 1 code section\(s\) \(max 94\)/);
    expectElfError(loadBad(fixture('multisec'), { maxInsns: 50 }), 'ELF_UNSUPPORTED', /too many instructions: 56 slots in 3 code section\(s\) \(max 50\)/);
  });

  it('data section too large or too aligned', () => {
    expectElfError(loadBad(patch('data').shdr('.bss', 'sh_size', 2 ** 30).bytes), 'ELF_UNSUPPORTED', /zero-filled section of 1073741824 bytes is larger than 16777216/, '.bss');
    expectElfError(loadBad(patch('data').shdr('.rodata', 'sh_addralign', 8192).bytes), 'ELF_UNSUPPORTED', /alignment 8192 is larger than 4096/, '.rodata');
  });
});

describe('errors: symbols and functions', () => {
  it('symbol table with a wrong entry size or string table', () => {
    expectElfError(loadBad(patch('calls').shdr('.symtab', 'sh_entsize', 16).bytes), 'ELF_MALFORMED', /symbol table entry size is 16, expected 24/, '.symtab');
    expectElfError(loadBad(patch('calls').shdr('.symtab', 'sh_link', 2).bytes), 'ELF_MALFORMED', /bad string table index 2 for the symbol table/, '.symtab');
    const p = patch('calls');
    p.shdr('.symtab', 'sh_size', p.section('.symtab').size - 8);
    expectElfError(loadBad(p.bytes), 'ELF_MALFORMED', /symbol table size 0x[0-9a-f]+ is not a multiple of 24/);
  });

  it('two symbol tables', () => {
    const b = patch('data').shdr('.llvm_addrsig', 'sh_type', 2).bytes;
    expectElfError(loadBad(b), 'ELF_UNSUPPORTED', /more than one symbol table \(\.llvm_addrsig and \.symtab\)/);
  });

  it('symbol name outside the string table', () => {
    const b = patch('data').sym('table', 'st_name', 0xfffff).bytes;
    expectElfError(loadBad(b), 'ELF_MALFORMED', /symbol #6: name offset 0xfffff is outside string table \.strtab/, '.symtab');
  });

  it("a symbol's section index out of range", () => {
    const p = patch('data').sym('table', 'st_shndx', 200);
    const err = expectElfError(loadBad(p.bytes), 'ELF_MALFORMED', /symbol 'table' \(#6\) has section index 200, out of range \(the file has 12 sections\)/, '.symtab');
    expect(err.offset).toBe(p.symOffset('table'));
    expectElfError(loadBad(patch('data').sym('table', 'st_shndx', 0xffff).bytes), 'ELF_UNSUPPORTED', /SHN_XINDEX/);
  });

  it('no functions at all', () => {
    const p = patch('calls');
    for (const name of ['pluglet', 'square', 'fib', 'add3']) p.sym(name, 'st_info', get(p.bytes, p.symOffset(name) + 4, 1) & 0xf0);
    expectElfError(loadBad(p.bytes), 'ELF_NO_FUNCTION', /no functions: the object has no STT_FUNC symbol in an executable section/);
  });

  it('unknown entry name lists the available functions', () => {
    expectElfError(loadBad(fixture('calls'), { entry: 'main' }), 'ELF_NO_FUNCTION', /no function named 'main'; available functions: pluglet, square, fib, add3/);
  });

  it('no function at offset 0 of .text', () => {
    const p = patch('multisec');
    p.sym('pluglet', 'st_info', 0x10); // GLOBAL NOTYPE
    expectElfError(loadBad(p.bytes), 'ELF_NO_FUNCTION', /no function at offset 0 of \.text \(the default entry\); pass an entry name; available functions: text_helper, p2_entry/);
    expect(loadElf(p.bytes, { entry: 'p2_entry' }).entry).toBe(23);
  });

  it('function at an unaligned offset or running past its section', () => {
    expectElfError(loadBad(patch('calls').sym('square', 'st_value', 0x8c).bytes), 'ELF_MALFORMED', /function 'square' starts at \.text\+0x8c, which is not 8-byte aligned/);
    expectElfError(loadBad(patch('calls').sym('square', 'st_value', 0x1000).bytes), 'ELF_MALFORMED', /function 'square' starts at \.text\+0x1000, which is outside the section/);
    expectElfError(loadBad(patch('calls').sym('add3', 'st_size', 0x100).bytes), 'ELF_MALFORMED', /function 'add3' at \.text\+0x118 has size 0x100, which runs past the end of the section \(size 0x150\)/);
  });

  it('duplicate function names', () => {
    const p = patch('calls');
    p.sym('square', 'st_name', get(p.bytes, p.symOffset('fib'), 4));
    expectElfError(loadBad(p.bytes), 'ELF_MALFORMED', /duplicate function name 'fib'/);
  });
});

describe('errors: relocation sections', () => {
  it('target index out of range', () => {
    expectElfError(loadBad(patch('data').shdr('.rel.text', 'sh_info', 99).bytes), 'ELF_MALFORMED', /relocation section applies to section index 99 \(sh_info\), out of range/, '.rel.text');
    expectElfError(loadBad(patch('data').shdr('.rel.text', 'sh_info', 0).bytes), 'ELF_MALFORMED', /section index 0 \(sh_info\)/, '.rel.text');
  });

  it('link that is not the symbol table', () => {
    expectElfError(loadBad(patch('data').shdr('.rel.text', 'sh_link', 1).bytes), 'ELF_MALFORMED', /links to section 1 \(sh_link\), not to the symbol table \(section 11\)/, '.rel.text');
  });

  it('wrong entry size', () => {
    expectElfError(loadBad(patch('data').shdr('.rel.text', 'sh_entsize', 24).bytes), 'ELF_MALFORMED', /relocation entry size is 24, expected 16/, '.rel.text');
  });

  it('two relocation sections for the same section (duplicate processing)', () => {
    const b = patch('data').shdr('.rel.rodata', 'sh_info', 2).bytes;
    expectElfError(loadBad(b), 'ELF_MALFORMED', /duplicate relocation sections for \.text: \.rel\.text and \.rel\.rodata both apply to it/);
  });

  it('RELA', () => {
    expectElfError(loadBad(patch('data').shdr('.rel.text', 'sh_type', 4).bytes), 'ELF_UNSUPPORTED', /RELA relocations \(\.rel\.text\) are not used for BPF/);
  });

  it('relocations applied to a NOBITS section we need', () => {
    const p = patch('data');
    p.shdr('.rel.data', 'sh_info', p.section('.bss').index);
    expectElfError(loadBad(p.bytes), 'ELF_BAD_RELOCATION', /relocations \(\.rel\.data\) apply to \.bss, which has no contents \(NOBITS\)/, '.rel.data');
  });
});

describe('errors: relocation entries', () => {
  it('symbol index out of range', () => {
    const p = patch('data').rel('.rel.text', 0, 'r_sym', 999);
    const err = expectElfError(loadBad(p.bytes), 'ELF_BAD_RELOCATION', /relocation #0 refers to symbol index 999, out of range \(the symbol table has 14 entries\)/, '.rel.text');
    expect(err.offset).toBe(p.relOffset('.rel.text', 0));
    expectElfError(() => inspectElf(p.bytes), 'ELF_BAD_RELOCATION', /symbol index 999/);
  });

  it('relocation against the null symbol', () => {
    expectElfError(loadBad(patch('data').rel('.rel.text', 0, 'r_sym', 0).bytes), 'ELF_BAD_RELOCATION', /R_BPF_64_64 relocation #0 at \.text\+0x8 has no symbol/);
  });

  it('offset outside the target section', () => {
    const p = patch('data');
    p.rel('.rel.text', 1, 'r_offset', p.section('.text').size);
    expectElfError(loadBad(p.bytes), 'ELF_BAD_RELOCATION', /R_BPF_64_32 relocation #1 at \.text\+0x2f8 is outside \.text \(size 0x2f8\)/, '.rel.text');
    expectElfError(() => inspectElf(p.bytes), 'ELF_BAD_RELOCATION', /is outside \.text/);
    const q = patch('data').rel('.rel.text', 1, 'r_offset', 2n ** 63n);
    expectElfError(loadBad(q.bytes), 'ELF_BAD_RELOCATION', /is outside \.text/);
  });

  it('offset not 8-aligned', () => {
    expectElfError(loadBad(patch('data').rel('.rel.text', 1, 'r_offset', 0x1c).bytes), 'ELF_BAD_RELOCATION', /R_BPF_64_32 relocation #1 at \.text\+0x1c is not 8-byte aligned/);
  });

  it('unknown relocation type', () => {
    expectElfError(loadBad(patch('data').rel('.rel.text', 0, 'r_type', 7).bytes), 'ELF_BAD_RELOCATION', /unknown relocation type 7 \(#0 at \.text\+0x8\)/);
    expectElfError(loadBad(patch('data').rel('.rel.rodata', 0, 'r_type', 99).bytes), 'ELF_BAD_RELOCATION', /unknown relocation type 99 \(#0 at \.rodata\+0x18\)/, '.rel.rodata');
  });

  it('lddw relocation not on an lddw', () => {
    expectElfError(loadBad(patch('data').rel('.rel.text', 0, 'r_offset', 0x18).bytes), 'ELF_BAD_RELOCATION', /R_BPF_64_64 relocation #0 at \.text\+0x18 is not on an lddw instruction \(opcode 0x85\)/);
  });

  it('call relocation not on a call', () => {
    expectElfError(loadBad(patch('data').rel('.rel.text', 1, 'r_offset', 0x20).bytes), 'ELF_BAD_RELOCATION', /R_BPF_64_32 relocation #1 at \.text\+0x20 is not on a call instruction \(opcode 0xbf\)/);
    expectElfError(loadBad(patch('calls').rel('.rel.text', 0, 'r_type', 2).rel('.rel.text', 0, 'r_offset', 0).bytes), 'ELF_BAD_RELOCATION', /R_BPF_64_32 \(legacy type 2\) relocation #0 at \.text\+0x0 is not on a call/);
  });

  it('duplicate relocation of the same instruction', () => {
    const b = patch('data').rel('.rel.text', 5, 'r_offset', 0x50).bytes;
    expectElfError(loadBad(b), 'ELF_BAD_RELOCATION', /duplicate relocation: R_BPF_64_32 relocation #5 at \.text\+0x50 patches an instruction that is already relocated/);
    const c = patch('data').rel('.rel.rodata', 1, 'r_offset', 0x1c).bytes;
    expectElfError(loadBad(c), 'ELF_BAD_RELOCATION', /duplicate relocation: R_BPF_64_ABS64 relocation #1 at \.rodata\+0x1c overlaps another relocation at \.rodata\+0x18/);
  });

  it('data relocation types in code, code relocation types in data', () => {
    expectElfError(loadBad(patch('data').rel('.rel.text', 0, 'r_type', 3).bytes), 'ELF_BAD_RELOCATION', /R_BPF_64_ABS32 relocation #0 at \.text\+0x8 in code section \.text: this type is only valid in data sections/);
    expectElfError(loadBad(patch('data').rel('.rel.rodata', 0, 'r_type', 1).bytes), 'ELF_BAD_RELOCATION', /R_BPF_64_64 relocation #0 at \.rodata\+0x18: this type applies to instructions, but \.rodata is a data section/);
    expectElfError(loadBad(patch('data').rel('.rel.data', 0, 'r_type', 10).bytes), 'ELF_BAD_RELOCATION', /R_BPF_64_32 relocation #0 at \.data\+0x10: this type applies to instructions/);
  });

  it('lddw against an undefined symbol, a function, or a non-data section', () => {
    expectElfError(loadBad(patch('data').sym('table', 'st_shndx', 0).bytes), 'ELF_BAD_RELOCATION', /R_BPF_64_64 relocation #4 at \.text\+0x88 refers to undefined symbol 'table': external data is not supported/);
    expectElfError(loadBad(patch('data').sym('table', 'st_shndx', 2).bytes), 'ELF_BAD_RELOCATION', /takes the address of 'table' in code section \.text: function pointers are not supported/);
    expectElfError(loadBad(patch('data').sym('table', 'st_shndx', 1).bytes), 'ELF_BAD_RELOCATION', /refers to 'table' in section \.strtab \(STRTAB, flags ''\), which is not a data section/);
    expectElfError(loadBad(patch('data').sym('table', 'st_shndx', 0xfff1).bytes), 'ELF_BAD_RELOCATION', /special section index 0xfff1/);
    expectElfError(loadBad(patch('data').sym('table', 'st_value', 0x1000).bytes), 'ELF_BAD_RELOCATION', /symbol 'table' value 0x1000 is outside \.rodata \(size 0x30\)/);
  });

  it('lddw addend pointing before its section', () => {
    const p = patch('data');
    put(p.bytes, p.section('.text').offset + 8 + 4, 4, -40);
    expectElfError(loadBad(p.bytes), 'ELF_BAD_RELOCATION', /R_BPF_64_64 relocation #0 at \.text\+0x8 points before the start of \.rodata\.str1\.1 \(offset -40\)/);
  });

  it('call against a symbol in a non-executable section', () => {
    const p = patch('multisec');
    p.sym('pluglet2', 'st_shndx', p.section('.rodata.str1.1').index);
    expectElfError(loadBad(p.bytes), 'ELF_BAD_RELOCATION', /R_BPF_64_32 relocation #2 at \.text\+0x48 calls '\.rodata\.str1\.1' in section \.rodata\.str1\.1, which is not executable/, '.rel.text');
  });

  it('call target outside the callee section', () => {
    const p = patch('multisec');
    put(p.bytes, p.section('.text').offset + 0x48 + 4, 4, 100);
    expectElfError(loadBad(p.bytes), 'ELF_BAD_RELOCATION', /the callee at pluglet2\+0x328 \(symbol 'pluglet2' \+ \(100 \+ 1\) \* 8\) is outside pluglet2 \(size 0xb0\)/);
  });

  it('helper call against an unnamed undefined symbol', () => {
    expectElfError(loadBad(patch('data').sym('helper_log', 'st_name', 0).bytes), 'ELF_BAD_RELOCATION', /R_BPF_64_32 relocation #1 at \.text\+0x18 calls an undefined symbol without a name/);
  });

  it('local call without a relocation that leaves its section', () => {
    const p = patch('calls');
    put(p.bytes, p.section('.text').offset + 3 * 8 + 4, 4, 1000);
    expectElfError(loadBad(p.bytes), 'ELF_MALFORMED', /local call at \.text\+0x18 \(imm 1000\) lands outside \.text, and has no relocation/, '.text');
  });

  it('pointer in data to an undefined symbol, to a function, or out of its section', () => {
    const p = patch('data');
    const helper = (p.symOffset('helper_log') - p.section('.symtab').offset) / 24;
    const pluglet = (p.symOffset('pluglet') - p.section('.symtab').offset) / 24;
    expectElfError(loadBad(patch('data').rel('.rel.rodata', 0, 'r_sym', helper).bytes), 'ELF_BAD_RELOCATION', /R_BPF_64_ABS64 relocation #0 at \.rodata\+0x18 refers to undefined symbol 'helper_log'/, '.rel.rodata');
    expectElfError(loadBad(patch('data').rel('.rel.data', 0, 'r_sym', pluglet).bytes), 'ELF_BAD_RELOCATION', /stores the address of 'pluglet' in code section \.text: function pointers are not supported/, '.rel.data');
    expectElfError(loadBad(patch('data').rel('.rel.data', 0, 'r_offset', 0x1c).bytes), 'ELF_BAD_RELOCATION', /R_BPF_64_ABS64 relocation #0 at \.data\+0x1c \(8 bytes\) is outside \.data \(size 0x20\)/);
  });
});
