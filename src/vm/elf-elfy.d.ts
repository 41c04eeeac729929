/**
 * Types for the parts of the `elfy` package (CommonJS, no bundled typings) that the ELF loader
 * uses. Only what `lib/elfy/parser.js` really returns is described; see src/vm/elf-parse.ts for
 * the fields it gets wrong (sh_addralign / sh_entsize offsets, 64-bit values read as doubles).
 */
declare module 'elfy' {
  export interface ElfySection {
    /** Resolved from the section name string table (not checked for bounds or NUL). */
    name: string;
    /** A name from elfy's constants table, or the raw number when unknown. */
    type: string | number;
    flags: Record<string, boolean>;
    addr: number;
    off: number;
    size: number;
    link: number;
    info: number;
    /** Read at the wrong offset by elfy 1.0.0: do not use. */
    addralign: number;
    /** Read at the wrong offset by elfy 1.0.0: do not use. */
    entsize: number;
    /** buf.slice(off, off + size): silently truncated when out of the file. */
    data: Buffer;
  }

  export interface ElfyFile {
    class: string;
    endian: string;
    osabi: string | undefined;
    type: string | undefined;
    machine: string | undefined;
    version: number;
    entry: number;
    phoff: number;
    shoff: number;
    flags: number;
    ehsize: number;
    phentsize: number;
    phnum: number;
    shentsize: number;
    shnum: number;
    shstrndx: number;
    body: { programs: unknown[]; sections: ElfySection[] };
  }

  const elfy: {
    parse(buf: Buffer): ElfyFile;
    constants: Record<string, Record<number, string>>;
  };
  export default elfy;
}
