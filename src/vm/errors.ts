/**
 * Typed VM errors. Every failure the VM reports is one of these classes, with a stable `code`
 * and a message that says what and where (uBPF's style: "... at PC 12").
 */

export type VmErrorCode =
  // ELF loader
  | 'ELF_MALFORMED'
  | 'ELF_UNSUPPORTED'
  | 'ELF_NO_FUNCTION'
  | 'ELF_BAD_RELOCATION'
  | 'ELF_UNKNOWN_HELPER'
  // assembler
  | 'ASM_SYNTAX'
  // structural validation at load
  | 'INVALID_PROGRAM'
  // execution
  | 'OUT_OF_BOUNDS'
  | 'FUEL_EXHAUSTED'
  | 'CALL_DEPTH'
  | 'BAD_PC'
  | 'HELPER_ERROR'
  | 'UNKNOWN_HELPER'
  | 'VM_STATE';

export class VmError extends Error {
  readonly code: VmErrorCode;
  constructor(code: VmErrorCode, message: string) {
    super(message);
    this.name = 'VmError';
    this.code = code;
  }
}

/** A malformed or unsupported ELF object. Names the section (when known) and the file offset. */
export class ElfError extends VmError {
  readonly section: string | undefined;
  readonly offset: number | undefined;
  constructor(code: VmErrorCode, message: string, where: { section?: string; offset?: number } = {}) {
    const parts: string[] = [];
    if (where.section !== undefined) parts.push(`section ${where.section}`);
    if (where.offset !== undefined) parts.push(`offset 0x${where.offset.toString(16)}`);
    super(code, parts.length > 0 ? `${message} (${parts.join(', ')})` : message);
    this.name = 'ElfError';
    this.section = where.section;
    this.offset = where.offset;
  }
}

/** An assembler error: names the 1-based source line. */
export class AsmError extends VmError {
  readonly line: number;
  constructor(message: string, line: number) {
    super('ASM_SYNTAX', line > 0 ? `${message} (line ${line})` : message);
    this.name = 'AsmError';
    this.line = line;
  }
}

/** A program rejected at load by the structural checks: names the pc and the instruction. */
export class ValidationError extends VmError {
  readonly pc: number;
  constructor(message: string, pc: number) {
    super('INVALID_PROGRAM', message);
    this.name = 'ValidationError';
    this.pc = pc;
  }
}

/** A fault while running: names the pc and the disassembled instruction. */
export class ExecError extends VmError {
  readonly pc: number;
  readonly insn: string;
  constructor(code: VmErrorCode, message: string, pc: number, insn: string) {
    super(code, message);
    this.name = 'ExecError';
    this.pc = pc;
    this.insn = insn;
  }
}

/** Thrown by a helper to fail the program with a clear message (HelperCall.bytes throws it too). */
export class HelperFault extends Error {
  readonly outOfBounds: boolean;
  constructor(message: string, outOfBounds = false) {
    super(message);
    this.name = 'HelperFault';
    this.outOfBounds = outOfBounds;
  }
}
