/**
 * Lexical pieces shared by the assembler and the disassembler: what a register, a label, a
 * number and a raw `.insn` slot look like in bpf_conformance's assembly syntax.
 */

import { INSN_SIZE } from './isa.js';

/** Highest register an instruction may name (r10 is the read-only frame pointer). */
export const MAX_REGISTER = 10;

/** A label: starts with a letter, `_`, `.` or `$`; then letters, digits, `_`, `.` or `$`. */
export const LABEL_RE = /^[A-Za-z_.$][A-Za-z0-9_.$]*$/;

/** The directive that spells raw slots, `.insn 0x<u64>[, 0x<u64>]`. */
export const RAW_DIRECTIVE = '.insn';

export function isLabelName(text: string): boolean {
  return LABEL_RE.test(text);
}

export function formatRegister(r: number): string {
  return `%r${r}`;
}

/** `[%rN+off]`, `[%rN-off]`, or `[%rN]` when off is zero. */
export function formatMemory(reg: number, off: number): string {
  if (off === 0) return `[%r${reg}]`;
  return off > 0 ? `[%r${reg}+${off}]` : `[%r${reg}-${-off}]`;
}

/** A relative target as the assembler reads it: `+N` or `-N` (zero is `+0`). */
export function formatRelative(rel: number): string {
  return rel < 0 ? `${rel}` : `+${rel}`;
}

/**
 * The 64-bit little-endian value of the slot at pc, as `0x` and 16 hex digits: the same
 * convention as the `-- raw` sections of bpf_conformance's test files.
 */
export function formatSlot(code: Uint8Array, pc: number): string {
  const o = pc * INSN_SIZE;
  let hex = '';
  for (let i = INSN_SIZE - 1; i >= 0; i--) hex += (code[o + i] ?? 0).toString(16).padStart(2, '0');
  return `0x${hex}`;
}

/** A parsed integer literal: its value and whether it was written in hex. */
export interface IntLiteral {
  value: bigint;
  hex: boolean;
}

/** Longest literal accepted; longer digit strings are errors, never parsed. */
const MAX_LITERAL = 40;
const INT_RE = /^([+-]?)(0[xX][0-9a-fA-F]+|[0-9]+)$/;

/** `[+-]decimal` or `[+-]0xhex`; undefined if the text is not such a literal. */
export function parseIntLiteral(text: string): IntLiteral | undefined {
  if (text.length > MAX_LITERAL) return undefined;
  const m = INT_RE.exec(text);
  if (m === null) return undefined;
  const digits = m[2]!;
  const hex = digits.length > 1 && (digits[1] === 'x' || digits[1] === 'X');
  const magnitude = hex ? BigInt(`0x${digits.slice(2)}`) : BigInt(digits);
  return { value: m[1] === '-' ? -magnitude : magnitude, hex };
}
