/**
 * Links one or more programs into one memory image: the work done once per plugin, so that a
 * new instance (one per connection) is a copy of bytes. Each program is helper-resolved,
 * validated and pre-decoded at its own base in the code area; the data sections of every
 * program are placed in two areas, read-only (`.rodata*`) and writable (`.data*`, `.bss*`), and
 * every `lddw` and in-section pointer is patched with its final address. Addresses are the same
 * in every instance: each instance has its own WebAssembly.Memory with this same layout.
 *
 * Layout (linear memory):
 *   [0, CODE)        the core's state (layout.ts)
 *   CODE             every program's records, each followed by an end sentinel
 *   stack            (MAX_CALL_DEPTH + 1) frames
 *   .rodata area     read-only sections of every program
 *   .data area       writable sections of every program
 *   heap             zero-initialised
 *   gap, grant       the buffers granted for one call start at grantBase
 */
import { ElfError, VmError } from './errors.js';
import { MAX_INSNS, OP_CALL, decodeInsn, encodeInsn } from './isa.js';
import { CODE, MAX_CALL_DEPTH, RECORD_BYTES, STACK_FRAME_SIZE } from './layout.js';
import { predecode } from './predecode.js';
import type { ProgramImage } from './program.js';
import { validateProgram } from './validate.js';

/** A region of program memory as the program sees it. */
export interface Region {
  name: string;
  start: number;
  size: number;
  writable: boolean;
}

export interface LinkedProgram {
  name: string;
  image: ProgramImage;
  /** Linked bytecode with helper ids and data addresses patched (for listings and errors). */
  code: Uint8Array;
  /** Record index of the program's slot 0 in the code area. */
  base: number;
  /** Slots of the program. */
  length: number;
  /** Absolute record index where execution starts. */
  entry: number;
  /** Address of each of the image's sections. */
  sectionAddresses: number[];
}

export interface LinkedImage {
  programs: LinkedProgram[];
  /** Bytes [0, initEnd) of a fresh instance: code records and initial data. */
  init: Uint8Array;
  stack: Region;
  rodata: Region | undefined;
  data: Region | undefined;
  heap: Region | undefined;
  grantBase: number;
  frameSize: number;
}

export interface LinkOptions {
  /** Helper id for a symbol name (R_BPF_64_32 against an undefined symbol). */
  helperId(name: string): number | undefined;
  /** Whether a helper id exists (raw `call imm`). */
  isHelper(id: number): boolean;
  heapSize?: number;
  frameSize?: number;
  maxInsns?: number;
}

const TWO32 = 4294967296;

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

export function linkPrograms(programs: { name: string; image: ProgramImage }[], opts: LinkOptions): LinkedImage {
  if (programs.length === 0) throw new VmError('VM_STATE', 'nothing to link');
  const frameSize = opts.frameSize ?? STACK_FRAME_SIZE;
  const heapSize = opts.heapSize ?? 0;
  const maxInsns = opts.maxInsns ?? MAX_INSNS - 1;

  // 1. Resolve helpers and validate each program.
  const codes: Uint8Array[] = [];
  for (const { name, image } of programs) {
    const code = image.code.slice();
    const n = code.length >> 3;
    for (const r of image.helperRelocs) {
      const id = opts.helperId(r.name);
      if (id === undefined) {
        throw new VmError('ELF_UNKNOWN_HELPER', `${programs.length > 1 ? `${name}: ` : ''}unknown helper function '${r.name}' called at PC ${r.pc}`);
      }
      const insn = decodeInsn(code, r.pc);
      if (insn.opcode !== OP_CALL) throw new VmError('ELF_BAD_RELOCATION', `helper relocation at PC ${r.pc} is not on a call`);
      encodeInsn({ ...insn, src: 0, imm: id }, code, r.pc);
    }
    const starts = [...new Set(image.functions.map((f) => f.pc))];
    validateProgram(code, {
      isHelper: opts.isHelper,
      maxInsns: maxInsns + 1,
      ...(starts.length > 1 ? { functionStarts: starts } : {}),
    });
    if (image.entry < 0 || image.entry >= n) throw new VmError('VM_STATE', `${name}: entry ${image.entry} is outside the program`);
    codes.push(code);
  }

  // 2. Layout.
  let records = 0;
  const bases = codes.map((c) => {
    const b = records;
    records += (c.length >> 3) + 1; // + end sentinel
    return b;
  });
  let at = alignUp(CODE + records * RECORD_BYTES, 4096);
  const stack: Region = { name: 'stack', start: at, size: frameSize * (MAX_CALL_DEPTH + 1), writable: true };
  at = alignUp(at + stack.size, 4096);
  const sectionAddresses: number[][] = programs.map(() => []);
  const area = (writable: boolean, name: string): Region | undefined => {
    const start = at;
    programs.forEach(({ image }, p) => {
      image.sections.forEach((s, i) => {
        if (s.writable !== writable) return;
        at = alignUp(at, Math.max(8, s.align));
        sectionAddresses[p]![i] = at;
        at += s.bytes.length;
      });
    });
    if (at === start) return undefined;
    const r: Region = { name, start, size: at - start, writable };
    at = alignUp(at, 4096);
    return r;
  };
  const rodata = area(false, '.rodata');
  const data = area(true, '.data');
  let heap: Region | undefined;
  if (heapSize > 0) {
    heap = { name: 'heap', start: at, size: heapSize, writable: true };
    at = alignUp(at + heapSize, 4096);
  }
  const grantBase = at + 4096; // a gap: an overrun of the heap never lands in a grant
  const initEnd = data ? data.start + data.size : rodata ? rodata.start + rodata.size : CODE + records * RECORD_BYTES;
  const init = new Uint8Array(initEnd);
  const dv = new DataView(init.buffer);

  // 3. Data, relocations, records.
  const linked: LinkedProgram[] = programs.map(({ name, image }, p) => {
    const code = codes[p]!;
    const addrs = sectionAddresses[p]!;
    image.sections.forEach((s, i) => init.set(s.bytes, addrs[i]!));
    for (const r of image.dataRelocs) {
      const base = addrs[r.section];
      if (base === undefined) throw new VmError('ELF_BAD_RELOCATION', `data relocation at PC ${r.pc} names section ${r.section}`);
      const addr = base + r.offset;
      encodeInsn({ ...decodeInsn(code, r.pc), imm: addr | 0 }, code, r.pc);
      encodeInsn({ ...decodeInsn(code, r.pc + 1), imm: Math.floor(addr / TWO32) | 0 }, code, r.pc + 1);
    }
    for (const r of image.sectionRelocs) {
      const sec = image.sections[r.section];
      const base = addrs[r.section];
      const target = addrs[r.target];
      if (!sec || base === undefined || target === undefined || r.offset < 0 || r.offset + r.width > sec.bytes.length) {
        throw new ElfError('ELF_BAD_RELOCATION', `pointer relocation at ${sec?.name ?? r.section}+${r.offset} is invalid`);
      }
      const addr = target + r.addend;
      if (r.width === 8) dv.setBigUint64(base + r.offset, BigInt.asUintN(64, BigInt(addr)), true);
      else dv.setUint32(base + r.offset, addr >>> 0, true);
    }
    init.set(predecode(code, bases[p]!), CODE + bases[p]! * RECORD_BYTES);
    return { name, image, code, base: bases[p]!, length: code.length >> 3, entry: bases[p]! + image.entry, sectionAddresses: addrs };
  });
  return { programs: linked, init, stack, rodata, data, heap, grantBase, frameSize };
}
