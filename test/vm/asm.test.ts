import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MNEMONICS, assemble } from '../../src/vm/asm.js';
import { disassemble, disassembleInsn } from '../../src/vm/disasm.js';
import { AsmError } from '../../src/vm/errors.js';
import {
  ALU_DIV,
  ALU_MOD,
  ALU_MOV,
  ATOMIC_OPS,
  OPCODES,
  OP_LDDW,
  aluCode,
  encodeInsn,
  type Insn,
} from '../../src/vm/isa.js';

// ---------------------------------------------------------------------------------------------
// Helpers

/** Bytes as space-separated hex, for readable failures. */
function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

function insn(opcode: number, f: Partial<Omit<Insn, 'opcode'>> = {}): Insn {
  return { opcode, dst: f.dst ?? 0, src: f.src ?? 0, off: f.off ?? 0, imm: f.imm ?? 0 };
}

function encode(...insns: Insn[]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  insns.forEach((x, pc) => encodeInsn(x, out, pc));
  return out;
}

/** The two slots of `lddw dst, value`. */
function lddw(dst: number, value: bigint): Uint8Array {
  const u = BigInt.asUintN(64, value);
  return encode(
    insn(OP_LDDW, { dst, imm: Number(BigInt.asIntN(32, u)) }),
    insn(0, { imm: Number(BigInt.asIntN(32, u >> 32n)) }),
  );
}

/** Runs fn and returns the AsmError it throws (fails the test if it throws anything else or nothing). */
function asmError(source: string): AsmError {
  try {
    assemble(source);
  } catch (e) {
    expect(e).toBeInstanceOf(AsmError);
    return e as AsmError;
  }
  throw new Error(`assemble did not throw for ${JSON.stringify(source)}`);
}

/** Sections of a bpf_conformance `.data` file (`-- asm`, `-- raw`, `-- error`, ...). */
function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name: string | undefined;
  let body: string[] = [];
  const flush = (): void => {
    if (name !== undefined) out.set(name, body.join('\n'));
  };
  for (const line of text.split(/\r?\n/)) {
    const m = /^-- (.*)$/.exec(line);
    if (m) {
      flush();
      name = m[1]!.trim();
      body = [];
    } else if (name !== undefined) {
      body.push(line);
    }
  }
  flush();
  return out;
}

/** A `-- raw` section: lines of `0x<u64>` (little-endian slot value) or of space-separated bytes. */
function rawBytes(raw: string): Uint8Array {
  const bytes: number[] = [];
  for (const line of raw.split('\n')) {
    const t = line.replace(/#.*/, '').trim();
    if (t === '') continue;
    if (/^0x[0-9a-f]+$/i.test(t)) {
      let v = BigInt(t);
      for (let i = 0; i < 8; i++) {
        bytes.push(Number(v & 0xffn));
        v >>= 8n;
      }
    } else {
      for (const b of t.split(/\s+/)) bytes.push(parseInt(b, 16));
    }
  }
  return Uint8Array.from(bytes);
}

/** The conformance directory: the project's fixture copy if present, else the shared checkout. */
function conformanceDir(sub: 'tests' | 'negative'): string | undefined {
  const candidates = [
    new URL(`../fixtures/conformance/${sub}/`, import.meta.url),
    new URL(`../../../shared/conformance/bpf_conformance/${sub}/`, import.meta.url),
  ];
  for (const c of candidates) {
    const p = fileURLToPath(c);
    if (existsSync(p)) return p;
  }
  return undefined;
}

function dataFiles(dir: string): { name: string; sections: Map<string, string> }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.data'))
    .sort()
    .map((f) => ({ name: f, sections: sections(readFileSync(`${dir}${f}`, 'utf8')) }));
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------
// Every valid encoding: encode -> disassembleInsn -> assemble gives the same bytes.

const IMMS = [0, 1, -1, 7, 255, 256, 0x7fffffff, -0x80000000, 0x12345678, -12345];
const OFFS = [0, 1, -1, 0x7fff, -0x8000, 300];

/** One or more instructions for every row of OPCODES, with its field-dependent variants. */
function validEncodings(): { label: string; bytes: Uint8Array; opcode: number }[] {
  const out: { label: string; bytes: Uint8Array; opcode: number }[] = [];
  const push = (label: string, x: Insn): void => {
    out.push({ label, bytes: encode(x), opcode: x.opcode });
  };
  for (const info of OPCODES.values()) {
    const op = info.opcode;
    const tag = `${info.name} 0x${op.toString(16)}`;
    switch (info.kind) {
      case 'alu': {
        const code = aluCode(op);
        let offs = [0];
        if (code === ALU_DIV || code === ALU_MOD) offs = [0, 1];
        if (code === ALU_MOV && info.srcReg) offs = info.is32 ? [0, 8, 16] : [0, 8, 16, 32];
        for (const off of offs) {
          if (info.srcReg) {
            push(`${tag} off=${off}`, insn(op, { dst: 1, src: 2, off }));
            push(`${tag} off=${off} r10`, insn(op, { dst: 10, src: 10, off }));
            push(`${tag} off=${off} r0`, insn(op, { dst: 0, src: 9, off }));
          } else {
            for (const imm of IMMS) push(`${tag} off=${off} imm=${imm}`, insn(op, { dst: 3, imm, off }));
          }
        }
        break;
      }
      case 'neg':
        for (const dst of [0, 5, 10]) push(`${tag} dst=${dst}`, insn(op, { dst }));
        break;
      case 'end':
        for (const imm of [16, 32, 64]) push(`${tag}${imm}`, insn(op, { dst: 4, imm }));
        break;
      case 'ld_imm64':
        break; // two slots: below
      case 'ld_packet':
        for (const imm of IMMS) push(`${tag} imm=${imm}`, insn(op, { src: info.srcReg ? 7 : 0, imm }));
        break;
      case 'ldx':
      case 'ldxs':
        for (const off of OFFS) push(`${tag} off=${off}`, insn(op, { dst: 2, src: 10, off }));
        break;
      case 'st':
        for (const off of OFFS) for (const imm of [0, -1, 0x7fffffff]) push(`${tag} off=${off} imm=${imm}`, insn(op, { dst: 10, off, imm }));
        break;
      case 'stx':
        for (const off of OFFS) push(`${tag} off=${off}`, insn(op, { dst: 1, src: 9, off }));
        break;
      case 'atomic':
        for (const imm of ATOMIC_OPS.keys()) for (const off of [0, -8, 16]) push(`${tag} imm=${imm} off=${off}`, insn(op, { dst: 10, src: 1, off, imm }));
        break;
      case 'ja':
        for (const off of OFFS) push(`${tag} off=${off}`, insn(op, { off }));
        break;
      case 'ja32':
        for (const imm of IMMS) push(`${tag} imm=${imm}`, insn(op, { imm }));
        break;
      case 'jcond':
        for (const off of OFFS) {
          if (info.srcReg) push(`${tag} off=${off}`, insn(op, { dst: 1, src: 2, off }));
          else for (const imm of IMMS) push(`${tag} off=${off} imm=${imm}`, insn(op, { dst: 1, imm, off }));
        }
        break;
      case 'call':
        for (const imm of IMMS) {
          push(`${tag} helper ${imm}`, insn(op, { src: 0, imm }));
          push(`${tag} local ${imm}`, insn(op, { src: 1, imm }));
          push(`${tag} runtime ${imm}`, insn(op, { src: 2, imm }));
        }
        break;
      case 'callx':
        for (const dst of [0, 2, 10]) push(`${tag} dst=${dst}`, insn(op, { dst }));
        break;
      case 'exit':
        push(tag, insn(op));
        break;
    }
  }
  const wide = [0n, 1n, -1n, 0x1122334455667788n, 0x8000000000000000n, -0x8000000000000000n, 0x7fffffffffffffffn,
    0xffffffffn, 0x100000000n, -2n, 0xdeadbeefn << 32n];
  for (const v of wide) out.push({ label: `lddw ${v}`, bytes: lddw(6, v), opcode: OP_LDDW });
  return out;
}

describe('round trip of every valid encoding', () => {
  const cases = validEncodings();

  it('covers every opcode of the table', () => {
    const covered = new Set(cases.map((c) => c.opcode));
    expect([...OPCODES.keys()].filter((op) => !covered.has(op))).toEqual([]);
    expect(cases.length).toBeGreaterThan(800);
  });

  it.each(cases.map((c) => [c.label, c.bytes] as const))('%s', (_label, bytes) => {
    const text = disassembleInsn(bytes, 0);
    expect(text.startsWith('.insn')).toBe(false);
    expect(hex(assemble(text))).toBe(hex(bytes));
  });
});

// ---------------------------------------------------------------------------------------------
// Encodings pinned by hand against RFC 9669 and bpf_conformance.

const GOLDEN: [string, string][] = [
  ['add %r1, 2', '07 01 00 00 02 00 00 00'],
  ['add32 %r1, %r2', '0c 21 00 00 00 00 00 00'],
  ['sub %r3, %r4', '1f 43 00 00 00 00 00 00'],
  ['mul32 %r0, 7', '24 00 00 00 07 00 00 00'],
  ['div %r0, %r1', '3f 10 00 00 00 00 00 00'],
  ['sdiv %r1, -3', '37 01 01 00 fd ff ff ff'],
  ['sdiv32 %r1, %r2', '3c 21 01 00 00 00 00 00'],
  ['mod %r0, 3', '97 00 00 00 03 00 00 00'],
  ['smod %r0, %r5', '9f 50 01 00 00 00 00 00'],
  ['smod32 %r1, %r2', '9c 21 01 00 00 00 00 00'],
  ['or %r0, %r10', '4f a0 00 00 00 00 00 00'],
  ['and32 %r2, 0xff', '54 02 00 00 ff 00 00 00'],
  ['lsh %r1, 32', '67 01 00 00 20 00 00 00'],
  ['rsh32 %r1, %r2', '7c 21 00 00 00 00 00 00'],
  ['neg %r3', '87 03 00 00 00 00 00 00'],
  ['neg32 %r3', '84 03 00 00 00 00 00 00'],
  ['xor %r7, -1', 'a7 07 00 00 ff ff ff ff'],
  ['mov %r0, -10', 'b7 00 00 00 f6 ff ff ff'],
  ['mov32 %r0, 0xffffffff', 'b4 00 00 00 ff ff ff ff'],
  ['mov %r9, %r1', 'bf 19 00 00 00 00 00 00'],
  ['arsh32 %r0, 16', 'c4 00 00 00 10 00 00 00'],
  ['movsx832 %r0, %r1', 'bc 10 08 00 00 00 00 00'],
  ['movsx1632 %r4, %r3', 'bc 34 10 00 00 00 00 00'],
  ['movsx864 %r6, %r5', 'bf 56 08 00 00 00 00 00'],
  ['movsx1664 %r8, %r7', 'bf 78 10 00 00 00 00 00'],
  ['movsx3264 %r0, %r9', 'bf 90 20 00 00 00 00 00'],
  ['le16 %r0', 'd4 00 00 00 10 00 00 00'],
  ['le64 %r0', 'd4 00 00 00 40 00 00 00'],
  ['be32 %r1', 'dc 01 00 00 20 00 00 00'],
  ['be64 %r1', 'dc 01 00 00 40 00 00 00'],
  ['bswap16 %r2', 'd7 02 00 00 10 00 00 00'],
  ['bswap32 %r2', 'd7 02 00 00 20 00 00 00'],
  ['swap64 %r2', 'd7 02 00 00 40 00 00 00'],
  ['ldxb %r0, [%r1+2]', '71 10 02 00 00 00 00 00'],
  ['ldxh %r0, [%r1]', '69 10 00 00 00 00 00 00'],
  ['ldxw %r2, [%r10-4]', '61 a2 fc ff 00 00 00 00'],
  ['ldxdw %r0, [%r1+0x10]', '79 10 10 00 00 00 00 00'],
  ['ldxsb %r0, [%r1+1]', '91 10 01 00 00 00 00 00'],
  ['ldxsh %r0, [%r1+1]', '89 10 01 00 00 00 00 00'],
  ['ldxsw %r0, [%r10-4]', '81 a0 fc ff 00 00 00 00'],
  ['stb [%r1-1], 5', '72 01 ff ff 05 00 00 00'],
  ['sth [%r0], 0x1234', '6a 00 00 00 34 12 00 00'],
  ['stw [%r10-4], 1', '62 0a fc ff 01 00 00 00'],
  ['stdw [%r10-8], -1', '7a 0a f8 ff ff ff ff ff'],
  ['stxb [%r10-8], %r1', '73 1a f8 ff 00 00 00 00'],
  ['stxh [%r1+2], %r2', '6b 21 02 00 00 00 00 00'],
  ['stxw [%r1+4], %r2', '63 21 04 00 00 00 00 00'],
  ['stxdw [%r10-8], %r1', '7b 1a f8 ff 00 00 00 00'],
  ['lock add [%r10-8], %r1', 'db 1a f8 ff 00 00 00 00'],
  ['lock add32 [%r10-4], %r1', 'c3 1a fc ff 00 00 00 00'],
  ['lock fetch add32 [%r10-4], %r3', 'c3 3a fc ff 01 00 00 00'],
  ['lock or [%r1], %r2', 'db 21 00 00 40 00 00 00'],
  ['lock fetch or32 [%r1], %r2', 'c3 21 00 00 41 00 00 00'],
  ['lock and [%r1], %r2', 'db 21 00 00 50 00 00 00'],
  ['lock fetch and [%r1], %r2', 'db 21 00 00 51 00 00 00'],
  ['lock xor32 [%r1], %r2', 'c3 21 00 00 a0 00 00 00'],
  ['lock fetch xor [%r10-8], %r3', 'db 3a f8 ff a1 00 00 00'],
  ['lock xchg [%r10-8], %r1', 'db 1a f8 ff e1 00 00 00'],
  ['lock xchg32 [%r10-8], %r1', 'c3 1a f8 ff e1 00 00 00'],
  ['lock cmpxchg [%r10-8], %r1', 'db 1a f8 ff f1 00 00 00'],
  ['lock cmpxchg32 [%r1+4], %r2', 'c3 21 04 00 f1 00 00 00'],
  ['ja +3', '05 00 03 00 00 00 00 00'],
  ['ja -1', '05 00 ff ff 00 00 00 00'],
  ['ja32 +3', '06 00 00 00 03 00 00 00'],
  ['ja32 -2', '06 00 00 00 fe ff ff ff'],
  ['jeq %r1, 5, +2', '15 01 02 00 05 00 00 00'],
  ['jeq32 %r1, %r2, +1', '1e 21 01 00 00 00 00 00'],
  ['jgt %r1, %r2, +1', '2d 21 01 00 00 00 00 00'],
  ['jge32 %r1, 3, +1', '36 01 01 00 03 00 00 00'],
  ['jset %r1, 0x80, +0', '45 01 00 00 80 00 00 00'],
  ['jne %r0, %r1, +4', '5d 10 04 00 00 00 00 00'],
  ['jsgt %r1, -1, +1', '65 01 01 00 ff ff ff ff'],
  ['jsge32 %r1, %r2, +1', '7e 21 01 00 00 00 00 00'],
  ['jlt %r1, %r2, +1', 'ad 21 01 00 00 00 00 00'],
  ['jle32 %r1, 6, +1', 'b6 01 01 00 06 00 00 00'],
  ['jslt %r1, 0, +1', 'c5 01 01 00 00 00 00 00'],
  ['jsle32 %r1, %r2, -1', 'de 21 ff ff 00 00 00 00'],
  ['call 5', '85 00 00 00 05 00 00 00'],
  ['call helper 5', '85 00 00 00 05 00 00 00'],
  ['call local +3', '85 10 00 00 03 00 00 00'],
  ['call local -4', '85 10 00 00 fc ff ff ff'],
  ['call runtime 7', '85 20 00 00 07 00 00 00'],
  ['call %r2', '8d 02 00 00 00 00 00 00'],
  ['callx %r3', '8d 03 00 00 00 00 00 00'],
  ['exit', '95 00 00 00 00 00 00 00'],
  ['lddw %r0, 0x1122334455667788', '18 00 00 00 88 77 66 55 00 00 00 00 44 33 22 11'],
  ['lddw %r1, -1', '18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff'],
  ['lddw %r0, 2147483648', '18 00 00 00 00 00 00 80 00 00 00 00 00 00 00 00'],
  ['lddw %r2, 0x8000000000000000', '18 02 00 00 00 00 00 00 00 00 00 00 00 00 00 80'],
  ['lddw %r2, -9223372036854775808', '18 02 00 00 00 00 00 00 00 00 00 00 00 00 00 80'],
  ['lddw %r3, 18446744073709551615', '18 03 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff'],
  ['ldabsw 12', '20 00 00 00 0c 00 00 00'],
  ['ldabsh 12', '28 00 00 00 0c 00 00 00'],
  ['ldindb %r1, 4', '50 10 00 00 04 00 00 00'],
  ['.insn 0x0000000100010007', '07 00 01 00 01 00 00 00'],
  ['.insn 0x1, 0xff00000000000000', '01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ff'],
];

describe('encodings', () => {
  it.each(GOLDEN)('%s', (source, expected) => {
    expect(hex(assemble(source))).toBe(expected);
  });

  it('accepts every mnemonic it lists', () => {
    expect(MNEMONICS).toContain('movsx1632');
    expect(MNEMONICS).toContain('lock fetch xor32');
    expect(MNEMONICS).toContain('swap16');
    expect(MNEMONICS).not.toContain('movsx3232');
    const operands: Record<string, string> = {};
    for (const m of MNEMONICS) {
      let src: string;
      if (m.startsWith('lock ')) src = `${m} [%r1+0], %r2`;
      else if (/^(le|be|bswap|swap)\d+$|^neg/.test(m)) src = `${m} %r1`;
      else if (/^movsx/.test(m)) src = `${m} %r1, %r2`;
      else if (/^ldx/.test(m)) src = `${m} %r1, [%r2]`;
      else if (/^stx/.test(m)) src = `${m} [%r1], %r2`;
      else if (/^st/.test(m)) src = `${m} [%r1], 1`;
      else if (/^ldabs/.test(m)) src = `${m} 1`;
      else if (/^ldind/.test(m)) src = `${m} %r1, 1`;
      else if (m === 'lddw') src = 'lddw %r1, 1';
      else if (m === 'ja' || m === 'ja32') src = `${m} +0`;
      else if (m === 'call') src = 'call 1';
      else if (m === 'callx') src = 'callx %r1';
      else if (m === 'exit') src = 'exit';
      else if (m === '.insn') src = '.insn 0x95';
      else if (/^j/.test(m)) src = `${m} %r1, 1, +0`;
      else src = `${m} %r1, 1`;
      operands[m] = src;
      expect(() => assemble(src), src).not.toThrow();
    }
    expect(Object.keys(operands).length).toBe(MNEMONICS.length);
  });
});

// ---------------------------------------------------------------------------------------------
// Syntax

describe('syntax', () => {
  it('skips comments and blank lines, and accepts trailing comments and spacing', () => {
    const code = assemble('# header\n\n   mov %r0, 1   # one\n\tadd\t%r0,%r0 ; two\nexit\n');
    expect(hex(code)).toBe(hex(encode(insn(0xb7, { imm: 1 }), insn(0x0f), insn(0x95))));
  });

  it('accepts CRLF and CR line endings', () => {
    expect(hex(assemble('mov %r0, 1\r\nexit\r\n'))).toBe(hex(assemble('mov %r0, 1\nexit\n')));
    expect(hex(assemble('mov %r0, 1\rexit'))).toBe(hex(assemble('mov %r0, 1\nexit\n')));
  });

  it('accepts operands separated by spaces only, as bpf_conformance does', () => {
    expect(hex(assemble('mov %r0 %r1'))).toBe(hex(assemble('mov %r0, %r1')));
  });

  it('accepts spaces inside memory operands', () => {
    expect(hex(assemble('ldxw %r0, [ %r1 + 8 ]'))).toBe(hex(assemble('ldxw %r0, [%r1+8]')));
  });

  it('returns an empty program for empty input', () => {
    expect(assemble('').length).toBe(0);
    expect(assemble('# only a comment\n\n').length).toBe(0);
  });

  it('resolves forward and backward labels into the offset', () => {
    const code = assemble(['top:', 'jne %r0, 15, fail', 'mov %r0, 1', 'exit', 'fail:', 'mov %r0, 0', 'ja top'].join('\n'));
    expect(hex(code)).toBe(hex(encode(
      insn(0x55, { imm: 15, off: 2 }),
      insn(0xb7, { imm: 1 }),
      insn(0x95),
      insn(0xb7),
      insn(0x05, { off: -5 }),
    )));
  });

  it('counts lddw as two slots when resolving labels', () => {
    const code = assemble('ja end\nlddw %r0, 1\nend:\nexit');
    expect(code[2]).toBe(2);
  });

  it('accepts a label and an instruction on the same line', () => {
    expect(hex(assemble('ja l\nl: exit'))).toBe(hex(assemble('ja +0\nexit')));
  });

  it('defines the label exit at the first exit instruction', () => {
    const code = assemble('jeq %r1, 0, exit\nmov %r0, 1\nexit\nmov %r0, 2\nexit');
    expect(code[2]).toBe(1);
    const code2 = assemble('ja exit\nexit\nexit');
    expect(code2[2]).toBe(0);
  });

  it('lets an explicit exit label win over the implicit one', () => {
    const code = assemble('ja exit\nexit\nexit:\nmov %r0, 0\nexit');
    expect(code[2]).toBe(1);
  });

  it('puts call local and ja32 label targets in imm, relative to the next slot', () => {
    const code = assemble('call local f\nja32 g\nexit\nf:\nexit\ng:\nja32 f');
    expect(hex(code)).toBe(hex(encode(
      insn(0x85, { src: 1, imm: 2 }),
      insn(0x06, { imm: 2 }),
      insn(0x95),
      insn(0x95),
      insn(0x06, { imm: -2 }),
    )));
  });

  it('accepts the boundaries of imm32 and offsets', () => {
    expect(hex(assemble('mov %r0, -2147483648'))).toBe('b7 00 00 00 00 00 00 80');
    expect(hex(assemble('mov %r0, 2147483647'))).toBe('b7 00 00 00 ff ff ff 7f');
    expect(hex(assemble('mov %r0, 0xffffffff'))).toBe('b7 00 00 00 ff ff ff ff');
    expect(hex(assemble('mov %r0, -0x80000000'))).toBe('b7 00 00 00 00 00 00 80');
    expect(hex(assemble('mov %r0, 0X7F'))).toBe('b7 00 00 00 7f 00 00 00');
    expect(hex(assemble('ldxb %r0, [%r1+32767]'))).toBe('71 10 ff 7f 00 00 00 00');
    expect(hex(assemble('ldxb %r0, [%r1-32768]'))).toBe('71 10 00 80 00 00 00 00');
    expect(hex(assemble('ldxb %r0, [%r1-0x8000]'))).toBe('71 10 00 80 00 00 00 00');
    expect(hex(assemble('ja +32767'))).toBe('05 00 ff 7f 00 00 00 00');
    expect(hex(assemble('ja -32768'))).toBe('05 00 00 80 00 00 00 00');
    expect(hex(assemble('ja32 +2147483647'))).toBe('06 00 00 00 ff ff ff 7f');
  });

  it('lets ja32 reach further than 16 bits where ja cannot', () => {
    const body = Array.from({ length: 40000 }, () => 'mov %r0, 0').join('\n');
    const ok = assemble(`top:\n${body}\nja32 top`);
    expect(ok.length).toBe(40001 * 8);
    const e = asmError(`top:\n${body}\nja top`);
    expect(e.message).toContain('Invalid offset');
    expect(e.line).toBe(40002);
  });
});

// ---------------------------------------------------------------------------------------------
// Errors

describe('errors', () => {
  const cases: [string, string][] = [
    ['ldxq %r0, %r1', 'Invalid mnemonic'],
    ['MOV %r0, 1', 'Invalid mnemonic'],
    ['movsx3232 %r0, %r1', 'Invalid mnemonic'],
    ['le8 %r0', 'Invalid mnemonic'],
    ['lock nand [%r1], %r2', 'Invalid mnemonic'],
    ['lock fetch cas [%r1], %r2', 'Invalid mnemonic'],
    ['mov %r11, 1', 'Invalid register'],
    ['mov %r0, %r15', 'Invalid register'],
    ['mov r0, 1', 'Invalid register'],
    ['mov %r-1, 1', 'Invalid register'],
    ['neg 5', 'Invalid register'],
    ['ldxw %r0, [%r16+1]', 'Invalid register'],
    ['ldxw %r0, [r1+1]', 'Invalid register'],
    ['call %r12', 'Invalid register'],
    ['movsx832 %r0, 5', 'Invalid register'],
    ['mov32 %r0, 0x100000000', 'Invalid immediate'],
    ['mov %r0, 2147483648', 'Invalid immediate'],
    ['mov %r0, -2147483649', 'Invalid immediate'],
    ['mov %r0, -0x80000001', 'Invalid immediate'],
    ['mov %r0, 12abc', 'Invalid immediate'],
    ['mov %r0, 0x', 'Invalid immediate'],
    ['stw [%r1], 1.5', 'Invalid immediate'],
    ['jeq %r0, 0x1ffffffff, +1', 'Invalid immediate'],
    ['call 4294967296', 'Invalid immediate'],
    ['lddw %r0, 0x10000000000000000', 'Invalid immediate'],
    ['lddw %r0, 18446744073709551616', 'Invalid immediate'],
    ['lddw %r0, -9223372036854775809', 'Invalid immediate'],
    ['lddw %r0, 99999999999999999999999999999999999999999999999999', 'Invalid immediate'],
    ['.insn -1', 'Invalid immediate'],
    ['ldxb %r0, %r1', 'Invalid offset'],
    ['ldxb %r0, [%r1+0x10000]', 'Invalid offset'],
    ['ldxb %r0, [%r1+32768]', 'Invalid offset'],
    ['ldxb %r0, [%r1-32769]', 'Invalid offset'],
    ['ldxb %r0, [%r1+]', 'Invalid offset'],
    ['ldxb %r0, [%r1+-1]', 'Invalid offset'],
    ['ldxb %r0, [%r1+1', 'Invalid offset'],
    ['stw %r1, 1', 'Invalid offset'],
    ['ja +32768', 'Invalid offset'],
    ['ja -32769', 'Invalid offset'],
    ['ja +1x', 'Invalid offset'],
    ['ja32 +2147483648', 'Invalid offset'],
    ['call local -2147483649', 'Invalid offset'],
    ['ja 5', 'Invalid jump target'],
    ['lddw %r0', 'Invalid operand count'],
    ['mov %r0', 'Invalid operand count'],
    ['mov %r0, 1, 2', 'Invalid operand count'],
    ['mov %r0, , 1', 'Invalid operand count'],
    ['exit %r0', 'Invalid operand count'],
    ['neg %r0, 1', 'Invalid operand count'],
    ['jeq %r0, 1', 'Invalid operand count'],
    ['call', 'Invalid operand count'],
    ['call local f g', 'Invalid operand count'],
    ['.insn', 'Invalid operand count'],
    ['lock', 'Invalid number of operands for lock'],
    ['lock or [%r10-8]', 'Invalid number of operands for lock'],
    ['lock fetch', 'Invalid number of operands for lock'],
    ['lock add [%r1], %r2, %r3', 'Invalid number of operands for lock'],
    ['call far 5', 'Invalid call mode'],
    ['ja nowhere', 'Unknown label'],
    ['jeq %r0, 0, exit', 'Unknown label'],
    ['a:\na:\nexit', 'Duplicate label'],
    ['1abc:\nexit', 'Invalid label'],
    ['neg %r0, %r1', 'Invalid operand count'],
  ];

  it.each(cases)('%j -> %s', (source, text) => {
    expect(asmError(source).message).toContain(text);
  });

  it('reports 1-based line numbers, counting blank and comment lines', () => {
    const e = asmError('# c\n\nmov %r0, 1\n  \nbogus %r0\nexit');
    expect(e.line).toBe(5);
    expect(e.message).toContain('line 5');
    expect(e.code).toBe('ASM_SYNTAX');
  });

  it('reports the line of the jump for an unknown label', () => {
    expect(asmError('mov %r0, 0\n\nja missing\nexit').line).toBe(3);
  });

  it('reports both lines of a duplicate label', () => {
    const e = asmError('x:\nmov %r0, 0\nx:\nexit');
    expect(e.line).toBe(3);
    expect(e.message).toContain('line 1');
  });

  it('rejects immediates where only registers are allowed and vice versa', () => {
    expect(asmError('call local %r1').message).toContain('Invalid jump target');
    expect(asmError('stxw [%r1], 5').message).toContain('Invalid register');
  });
});

// ---------------------------------------------------------------------------------------------
// bpf_conformance files

const testsDir = conformanceDir('tests');
const negativeDir = conformanceDir('negative');

describe.skipIf(testsDir === undefined)('bpf_conformance tests/*.data', () => {
  const files = testsDir === undefined ? [] : dataFiles(testsDir);

  it('finds the test files', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it.each(files.map((f) => [f.name, f.sections] as const))('%s assembles', (_name, secs) => {
    const asm = secs.get('asm');
    expect(asm).toBeDefined();
    const code = assemble(asm!);
    expect(code.length).toBeGreaterThan(0);
    const raw = secs.get('raw');
    if (raw !== undefined) expect(hex(code)).toBe(hex(rawBytes(raw)));
    // The listing with labels and no pcs assembles back to the same bytes.
    expect(hex(assemble(disassemble(code, { labels: true, showPc: false })))).toBe(hex(code));
  });

  it('has the raw section of lddw.data', () => {
    const lddwFile = files.find((f) => f.name === 'lddw.data');
    expect(lddwFile?.sections.get('raw')).toBeDefined();
  });
});

describe.skipIf(negativeDir === undefined)('bpf_conformance negative/*.data', () => {
  const expected: [string, string][] = [
    ['invalid_imm32_hex_range.data', 'Invalid immediate'],
    ['invalid_lock.data', 'Invalid number of operands for lock'],
    ['invalid_lock2.data', 'Invalid number of operands for lock'],
    ['invalid_mnemonic.data', 'Invalid mnemonic'],
    ['invalid_offset.data', 'Invalid offset'],
    ['invalid_offset_range.data', 'Invalid offset'],
    ['invalid_operand_count.data', 'Invalid operand count'],
  ];

  it.each(expected)('%s throws AsmError with %s', (file, text) => {
    const secs = sections(readFileSync(`${negativeDir}${file}`, 'utf8'));
    const e = asmError(secs.get('asm')!);
    expect(e.message).toContain(text);
    // When the file states the error text, ours contains it.
    const stated = secs.get('error')?.trim();
    if (stated) expect(e.message).toContain(stated);
  });

  it('error.data is valid assembly (or %r0, %r10)', () => {
    const secs = sections(readFileSync(`${negativeDir}error.data`, 'utf8'));
    expect(hex(assemble(secs.get('asm')!))).toBe(hex(encode(insn(0x4f, { dst: 0, src: 10 }), insn(0x95))));
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzz: nothing but AsmError escapes, and what assembles disassembles back.

/** Calls assemble and fails the test on anything thrown but an AsmError. */
function tryAssemble(source: string): Uint8Array | undefined {
  try {
    return assemble(source);
  } catch (e) {
    if (!(e instanceof AsmError)) throw new Error(`non-AsmError for ${JSON.stringify(source)}: ${String(e)}`);
    expect(e.line).toBeGreaterThanOrEqual(0);
    return undefined;
  }
}

function seedLines(): string[] {
  const lines = GOLDEN.map(([s]) => s);
  if (testsDir !== undefined) {
    for (const f of dataFiles(testsDir).slice(0, 60)) {
      for (const l of (f.sections.get('asm') ?? '').split('\n')) if (l.trim() !== '') lines.push(l);
    }
  }
  return lines;
}

describe('fuzz', () => {
  const ALPHABET = '%r0123456789abcdefx[]+-,:#; \t\nlockfetchmovsxldwjeqexit.insn\u00e9\u0000\uffff';

  it('random mutations of valid lines throw only AsmError, and what assembles round-trips', () => {
    const rand = rng(0xc0ffee);
    const lines = seedLines();
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    let assembled = 0;
    for (let i = 0; i < 4000; i++) {
      let s = pick(lines);
      const edits = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(rand() * (s.length + 1));
        switch (Math.floor(rand() * 6)) {
          case 0: s = s.slice(0, at) + s.slice(at + 1); break;
          case 1: s = s.slice(0, at) + pick([...ALPHABET]) + s.slice(at); break;
          case 2: s = s.slice(0, at) + pick(['9999999999', '0x', '-', '%r11', ',', '[', ']', 'lock ', 'fetch ']) + s.slice(at); break;
          case 3: { const w = s.split(' '); const a = Math.floor(rand() * w.length); const b = Math.floor(rand() * w.length); [w[a], w[b]] = [w[b]!, w[a]!]; s = w.join(' '); break; }
          case 4: s = `${s}\n${pick(lines)}`; break;
          default: s = s.slice(0, at); break;
        }
      }
      const code = tryAssemble(s);
      if (code !== undefined) {
        assembled++;
        expect(hex(assemble(disassemble(code, { labels: true, showPc: false })))).toBe(hex(code));
      }
    }
    // The mutations must leave a fair share of valid programs, or the round-trip check proves nothing.
    expect(assembled).toBeGreaterThan(500);
  });

  it('random text throws only AsmError', () => {
    const rand = rng(42);
    for (let i = 0; i < 2000; i++) {
      const len = Math.floor(rand() * 60);
      let s = '';
      for (let k = 0; k < len; k++) s += rand() < 0.7 ? ALPHABET[Math.floor(rand() * ALPHABET.length)] : String.fromCharCode(Math.floor(rand() * 0x10000));
      tryAssemble(s);
    }
  });
});
