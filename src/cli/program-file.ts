/**
 * Reading a program the way every subcommand accepts it: an ELF object (by its magic), assembly
 * text in the bpf_conformance syntax (`.s`, `.asm`, or text that assembles), or raw bytecode.
 */
import { readFileSync } from 'node:fs';
import { assemble } from '../vm/asm.js';
import { isElf } from '../vm/elf.js';
import { UsageError } from './args.js';

export type ProgramFormat = 'elf' | 'asm' | 'raw';

export interface ProgramFile {
  path: string;
  format: ProgramFormat;
  /** The file's bytes (ELF), or the bytecode (asm, raw). */
  bytes: Uint8Array;
}

export function readInput(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(err.code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${err.message}`);
  }
}

function looksLikeText(b: Uint8Array): boolean {
  const n = Math.min(b.length, 4096);
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === 0 || (c < 9) || (c > 13 && c < 32 && c !== 27)) return false;
  }
  return b.length > 0;
}

export function readProgram(path: string, format?: string): ProgramFile {
  if (format !== undefined && format !== 'elf' && format !== 'asm' && format !== 'raw') {
    throw new UsageError(`--format must be elf, asm or raw, got '${format}'`);
  }
  const bytes = readInput(path);
  const fmt: ProgramFormat = (format as ProgramFormat | undefined)
    ?? (isElf(bytes) ? 'elf' : /\.(s|asm)$/i.test(path) || (looksLikeText(bytes) && !/\.(bin|o)$/i.test(path)) ? 'asm' : 'raw');
  if (fmt === 'asm') return { path, format: fmt, bytes: assemble(new TextDecoder().decode(bytes)) };
  return { path, format: fmt, bytes };
}
