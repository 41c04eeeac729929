/**
 * A linked eBPF program before it is placed in a VM's memory: the contract between the ELF
 * loader (or the assembler / raw bytecode) and the VM. Addresses of data sections are not known
 * here; `dataRelocs` says which `lddw` pairs must receive the address of which section.
 */

/** A data section the program's `lddw` relocations point into. */
export interface DataSection {
  /** ELF section name (`.rodata`, `.rodata.str1.1`, `.data`, `.bss`, ...). */
  name: string;
  /** Initial contents; for `.bss` all zeroes, of the section's size. */
  bytes: Uint8Array;
  /** False for `.rodata*`: stores into it fault. */
  writable: boolean;
  /** Required alignment in bytes (a power of two, at least 1). */
  align: number;
}

/** An `lddw` at `pc` that must load `address(sections[section]) + offset`. */
export interface DataReloc {
  pc: number;
  section: number;
  /** Symbol value plus the addend held in the instruction (may exceed the section for one-past-end pointers). */
  offset: number;
}

/**
 * A pointer stored inside a data section (R_BPF_64_ABS64 / R_BPF_64_ABS32 in `.data` or
 * `.rodata`, e.g. an array of string pointers): at `offset` of section `section`, write the
 * address of section `target` plus `addend`, `width` bytes little-endian.
 */
export interface SectionReloc {
  section: number;
  offset: number;
  width: 4 | 8;
  target: number;
  addend: number;
}

/** A `call` (src 0) at `pc` whose helper is known by name only (R_BPF_64_32 against an undefined symbol). */
export interface HelperReloc {
  pc: number;
  name: string;
}

/** A function of the linked program. */
export interface ProgramFunction {
  name: string;
  /** First slot in the linked code. */
  pc: number;
  /** Number of slots. */
  length: number;
}

export interface ProgramImage {
  /** Linked bytecode, 8 bytes per slot, local calls already resolved to relative pcs. */
  code: Uint8Array;
  /** Slot where execution starts. */
  entry: number;
  functions: ProgramFunction[];
  sections: DataSection[];
  dataRelocs: DataReloc[];
  sectionRelocs: SectionReloc[];
  helperRelocs: HelperReloc[];
}

/** A program from raw bytecode: one function, no data, helpers called by id. */
export function rawImage(code: Uint8Array): ProgramImage {
  return {
    code,
    entry: 0,
    functions: [{ name: 'main', pc: 0, length: code.length >> 3 }],
    sections: [],
    dataRelocs: [],
    sectionRelocs: [],
    helperRelocs: [],
  };
}
