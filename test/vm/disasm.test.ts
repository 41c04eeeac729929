import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/vm/asm.js';
import { disassemble, disassembleInsn } from '../../src/vm/disasm.js';
import { OPCODES, encodeInsn, type Insn } from '../../src/vm/isa.js';

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

function fromHex(text: string): Uint8Array {
  return Uint8Array.from(text.trim().split(/\s+/).map((b) => parseInt(b, 16)));
}

function insn(opcode: number, f: Partial<Omit<Insn, 'opcode'>> = {}): Insn {
  return { opcode, dst: f.dst ?? 0, src: f.src ?? 0, off: f.off ?? 0, imm: f.imm ?? 0 };
}

function encode(...insns: Insn[]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  insns.forEach((x, pc) => encodeInsn(x, out, pc));
  return out;
}

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

function negativeDir(): string | undefined {
  for (const c of [
    new URL('../fixtures/conformance/negative/', import.meta.url),
    new URL('../../../shared/conformance/bpf_conformance/negative/', import.meta.url),
  ]) {
    const p = fileURLToPath(c);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** The `-- raw` section (space-separated bytes) of a negative test file. */
function rawSection(text: string): Uint8Array {
  const lines = text.split(/\r?\n/);
  const start = lines.indexOf('-- raw');
  const body: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.startsWith('--')) break;
    if (l.trim() !== '') body.push(l.trim());
  }
  return fromHex(body.join(' '));
}

// ---------------------------------------------------------------------------------------------

describe('disassembleInsn text', () => {
  const cases: [string, Uint8Array][] = [
    ['mov %r0, -10', encode(insn(0xb7, { imm: -10 }))],
    ['mov32 %r1, 5', encode(insn(0xb4, { dst: 1, imm: 5 }))],
    ['add %r1, %r2', encode(insn(0x0f, { dst: 1, src: 2 }))],
    ['and %r1, 0xff00', encode(insn(0x57, { dst: 1, imm: 0xff00 }))],
    ['and %r1, 255', encode(insn(0x57, { dst: 1, imm: 255 }))],
    ['xor32 %r1, -1', encode(insn(0xa4, { dst: 1, imm: -1 }))],
    ['sdiv %r1, -3', encode(insn(0x37, { dst: 1, off: 1, imm: -3 }))],
    ['smod32 %r1, %r2', encode(insn(0x9c, { dst: 1, src: 2, off: 1 }))],
    ['div32 %r1, %r2', encode(insn(0x3c, { dst: 1, src: 2 }))],
    ['movsx832 %r0, %r1', encode(insn(0xbc, { src: 1, off: 8 }))],
    ['movsx1632 %r0, %r1', encode(insn(0xbc, { src: 1, off: 16 }))],
    ['movsx864 %r0, %r1', encode(insn(0xbf, { src: 1, off: 8 }))],
    ['movsx1664 %r0, %r1', encode(insn(0xbf, { src: 1, off: 16 }))],
    ['movsx3264 %r0, %r1', encode(insn(0xbf, { src: 1, off: 32 }))],
    ['neg32 %r4', encode(insn(0x84, { dst: 4 }))],
    ['le16 %r0', encode(insn(0xd4, { imm: 16 }))],
    ['be32 %r3', encode(insn(0xdc, { dst: 3, imm: 32 }))],
    ['bswap64 %r2', encode(insn(0xd7, { dst: 2, imm: 64 }))],
    ['ldxw %r2, [%r10-4]', encode(insn(0x61, { dst: 2, src: 10, off: -4 }))],
    ['ldxsh %r2, [%r1+6]', encode(insn(0x89, { dst: 2, src: 1, off: 6 }))],
    ['ldxdw %r0, [%r1]', encode(insn(0x79, { src: 1 }))],
    ['stb [%r10-1], 7', encode(insn(0x72, { dst: 10, off: -1, imm: 7 }))],
    ['stxdw [%r1], %r2', encode(insn(0x7b, { dst: 1, src: 2 }))],
    ['lock fetch add32 [%r10-4], %r3', encode(insn(0xc3, { dst: 10, src: 3, off: -4, imm: 1 }))],
    ['lock xor [%r1+8], %r2', encode(insn(0xdb, { dst: 1, src: 2, off: 8, imm: 0xa0 }))],
    ['lock xchg32 [%r1], %r2', encode(insn(0xc3, { dst: 1, src: 2, imm: 0xe1 }))],
    ['lock cmpxchg [%r1], %r2', encode(insn(0xdb, { dst: 1, src: 2, imm: 0xf1 }))],
    ['ja +0', encode(insn(0x05))],
    ['ja -1', encode(insn(0x05, { off: -1 }))],
    ['ja32 +3', encode(insn(0x06, { imm: 3 }))],
    ['jeq %r1, 5, +2', encode(insn(0x15, { dst: 1, imm: 5, off: 2 }))],
    ['jset32 %r1, 0x8000, -3', encode(insn(0x46, { dst: 1, imm: 0x8000, off: -3 }))],
    ['jsle %r1, %r2, +7', encode(insn(0xdd, { dst: 1, src: 2, off: 7 }))],
    ['call 5', encode(insn(0x85, { imm: 5 }))],
    ['call local -4', encode(insn(0x85, { src: 1, imm: -4 }))],
    ['call runtime 7', encode(insn(0x85, { src: 2, imm: 7 }))],
    ['call %r2', encode(insn(0x8d, { dst: 2 }))],
    ['exit', encode(insn(0x95))],
    ['lddw %r0, 0x1122334455667788', fromHex('18 00 00 00 88 77 66 55 00 00 00 00 44 33 22 11')],
    ['lddw %r1, 0xffffffffffffffff', fromHex('18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff')],
    ['lddw %r1, 0x0', fromHex('18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00')],
    ['ldabsh 12', encode(insn(0x28, { imm: 12 }))],
    ['ldindw %r3, -1', encode(insn(0x40, { src: 3, imm: -1 }))],
  ];

  it.each(cases)('%s', (text, code) => {
    expect(disassembleInsn(code, 0)).toBe(text);
    expect(hex(assemble(text))).toBe(hex(code));
  });

  it('names helpers in a comment', () => {
    const code = encode(insn(0x85, { imm: 35 }));
    expect(disassembleInsn(code, 0, { helperName: (id) => (id === 35 ? 'my_memcpy' : undefined) })).toBe('call 35 # my_memcpy');
    expect(disassembleInsn(code, 0, { helperName: () => undefined })).toBe('call 35');
    expect(disassembleInsn(code, 0, { helperName: () => { throw new Error('boom'); } })).toBe('call 35');
    // Only helper calls are named.
    expect(disassembleInsn(encode(insn(0x85, { src: 1, imm: 35 })), 0, { helperName: () => 'x' })).toBe('call local +35');
  });

  it('reads the instruction at pc, not at 0', () => {
    const code = encode(insn(0xb7, { imm: 1 }), insn(0x18, { dst: 2, imm: 3 }), insn(0, { imm: 4 }), insn(0x95));
    expect(disassembleInsn(code, 1)).toBe('lddw %r2, 0x400000003');
    expect(disassembleInsn(code, 3)).toBe('exit');
  });
});

describe('disassembleInsn on encodings the assembler cannot spell', () => {
  const cases: [string, Uint8Array, string][] = [
    ['unknown opcode 0x00', encode(insn(0x00, { imm: 1 })), 'invalid opcode 0x00'],
    ['unknown opcode 0xff', fromHex('ff 01 02 03 04 05 06 07'), 'invalid opcode 0xff'],
    ['ALU64 NEG with X bit', encode(insn(0x8f)), 'invalid opcode 0x8f'],
    ['ALU64 END with X bit', encode(insn(0xdf, { imm: 16 })), 'invalid opcode 0xdf'],
    ['register 11', encode(insn(0xb7, { dst: 11, imm: 1 })), 'dst=r11'],
    ['src register 15', encode(insn(0x0f, { src: 15 })), 'src=r15'],
    ['memory base register 12', encode(insn(0x61, { src: 12 })), 'src=r12'],
    ['end width 8', encode(insn(0xd4, { imm: 8 })), 'imm=8'],
    ['unknown atomic op', encode(insn(0xdb, { dst: 1, src: 2, imm: 0x02 })), 'unknown atomic operation'],
    ['call src 3', encode(insn(0x85, { src: 3, imm: 1 })), 'src=3'],
    ['call with dst', encode(insn(0x85, { dst: 1, imm: 1 })), 'dst=1'],
    ['callx with imm (old LLVM)', encode(insn(0x8d, { imm: 2 })), 'imm=2'],
    ['mov32 sign-extend from 32', encode(insn(0xbc, { src: 1, off: 32 })), 'off=32'],
    ['mov K with offset', encode(insn(0xb7, { off: 8 })), 'off=8'],
    ['div with offset 2', encode(insn(0x3f, { off: 2 })), 'off=2'],
    ['lddw with src 1', fromHex('18 11 00 00 00 00 00 00 00 00 00 00 00 00 00 00'), 'src=1'],
    ['lddw with a bad second slot', fromHex('18 01 00 00 00 00 00 00 95 00 00 00 00 00 00 00'), 'next.opcode=149'],
    ['lddw without second slot', encode(insn(0x18, { imm: 1 })), 'second slot missing'],
    ['ldabs with dst', encode(insn(0x20, { dst: 1 })), 'dst=1'],
  ];

  it.each(cases)('%s', (_name, code, reason) => {
    const text = disassembleInsn(code, 0);
    expect(text.startsWith('.insn 0x')).toBe(true);
    expect(text).toContain(reason);
    expect(hex(assemble(text))).toBe(hex(code));
  });

  it('prints a raw slot as its little-endian 64-bit value', () => {
    expect(disassembleInsn(fromHex('ff 01 02 03 04 05 06 07'), 0)).toBe('.insn 0x07060504030201ff # invalid opcode 0xff');
    expect(disassembleInsn(encode(insn(0x07, { off: 1, imm: 1 })), 0)).toBe('.insn 0x0000000100010007 # add %r0, 1 (off=1)');
  });

  const dir = negativeDir();
  const unused = dir === undefined ? [] : readdirSync(dir).filter((f) => f.startsWith('unused-') && f.endsWith('.data')).sort();
  it.skipIf(dir === undefined).each(unused)('negative/%s (nonzero reserved field) prints as .insn and round-trips', (file) => {
    const code = rawSection(readFileSync(`${dir}${file}`, 'utf8'));
    expect(code.length).toBeGreaterThanOrEqual(8);
    const first = code.subarray(0, 8);
    const text = disassembleInsn(first, 0);
    expect(text.startsWith('.insn')).toBe(true);
    expect(hex(assemble(text))).toBe(hex(first));
  });

  it('never throws on a bad pc', () => {
    const code = encode(insn(0x95));
    for (const pc of [-1, 1, 2, 1.5, NaN, Infinity, 2 ** 40]) {
      const text = disassembleInsn(code, pc);
      expect(text).toContain('out of range');
      expect(assemble(text).length).toBe(0);
    }
    expect(disassembleInsn(new Uint8Array(0), 0)).toContain('out of range');
    expect(disassembleInsn(new Uint8Array(5), 0)).toContain('out of range');
  });
});

// ---------------------------------------------------------------------------------------------

describe('disassemble listing', () => {
  const program = assemble([
    'mov %r0, 0',
    'lddw %r1, 0x10',
    'call 35',
    'call local f',
    'jeq %r0, 0, done',
    'mov %r0, 1',
    'done:',
    'exit',
    'f:',
    'mov %r0, 2',
    'exit',
  ].join('\n'));
  const functions = [
    { name: 'main', pc: 0, length: 8 },
    { name: 'f', pc: 8, length: 2 },
  ];

  it('prints pcs, function headers and annotations, and skips lddw second slots', () => {
    const text = disassemble(program, {
      functions,
      annotations: new Map([[1, 'R_BPF_64_64 .rodata+8'], [3, '; helper my_memcpy']]),
      helperName: (id) => (id === 35 ? 'my_memcpy' : undefined),
    });
    expect(text).toBe([
      'main:',
      '  0: mov %r0, 0',
      '  1: lddw %r1, 0x10 ; R_BPF_64_64 .rodata+8',
      '  3: call 35 # my_memcpy ; helper my_memcpy',
      '  4: call local +3 # f',
      '  5: jeq %r0, 0, +1',
      '  6: mov %r0, 1',
      '  7: exit',
      'f:',
      '  8: mov %r0, 2',
      '  9: exit',
    ].join('\n'));
  });

  it('pads pcs to the widest one', () => {
    const code = assemble(Array.from({ length: 12 }, () => 'exit').join('\n'));
    const lines = disassemble(code).split('\n');
    expect(lines[0]).toBe('   0: exit');
    expect(lines[11]).toBe('  11: exit');
  });

  it('attaches an annotation on an lddw second slot to the lddw line', () => {
    const text = disassemble(program, { annotations: new Map([[2, 'high half']]) });
    expect(text.split('\n')[1]).toBe('  1: lddw %r1, 0x10 ; high half');
  });

  it('uses labels when asked, and then assembles back without pcs', () => {
    const text = disassemble(program, { functions, labels: true, showPc: false });
    expect(text).toBe([
      'main:',
      '  mov %r0, 0',
      '  lddw %r1, 0x10',
      '  call 35',
      '  call local f',
      '  jeq %r0, 0, L7',
      '  mov %r0, 1',
      'L7:',
      '  exit',
      'f:',
      '  mov %r0, 2',
      '  exit',
    ].join('\n'));
    expect(hex(assemble(text))).toBe(hex(program));
  });

  it('keeps relative targets that land inside an lddw or outside the program', () => {
    const code = assemble('ja +1\nlddw %r0, 1\nja -10\nja +1\nexit');
    const text = disassemble(code, { labels: true, showPc: false });
    expect(text).toContain('ja +1');
    expect(text).toContain('ja -10');
    expect(text).toContain('ja L6');
    expect(text.split('\n').at(-1)).toBe('L6:');
    expect(hex(assemble(text))).toBe(hex(code));
  });

  it('does not let a generated label collide with a function name', () => {
    const code = assemble('ja +0\nexit');
    const text = disassemble(code, { labels: true, showPc: false, functions: [{ name: 'L2', pc: 0, length: 2 }] });
    expect(text).toContain('ja L1');
    const code2 = assemble('ja +1\nexit\nexit');
    const text2 = disassemble(code2, { labels: true, showPc: false, functions: [{ name: 'L2', pc: 1, length: 1 }] });
    expect(text2).toContain('ja L2_');
    expect(hex(assemble(text2))).toBe(hex(code2));
  });

  it('reports trailing bytes and returns an empty string for empty code', () => {
    expect(disassemble(new Uint8Array(0))).toBe('');
    const code = new Uint8Array([...encode(insn(0x95)), 0xab, 0xcd]);
    expect(disassemble(code)).toBe('  0: exit\n# 2 trailing bytes: ab cd');
  });
});

// ---------------------------------------------------------------------------------------------

describe('fuzz', () => {
  const opcodes = [...OPCODES.keys()];

  /** Random slots, biased toward real opcodes and small field values so that many are canonical. */
  function randomCode(rand: () => number, slots: number): Uint8Array {
    const code = new Uint8Array(slots * 8);
    const small = [0, 0, 0, 1, -1, 8, 16, 32, 64, 0xe1, 0xf1, 0x41];
    for (let pc = 0; pc < slots; pc++) {
      if (rand() < 0.25) {
        for (let i = 0; i < 8; i++) code[pc * 8 + i] = Math.floor(rand() * 256);
        continue;
      }
      const pickField = (): number => (rand() < 0.6 ? small[Math.floor(rand() * small.length)]! : Math.floor(rand() * 65536) - 32768);
      encodeInsn({
        opcode: rand() < 0.9 ? opcodes[Math.floor(rand() * opcodes.length)]! : Math.floor(rand() * 256),
        dst: rand() < 0.9 ? Math.floor(rand() * 11) : Math.floor(rand() * 16),
        src: rand() < 0.5 ? 0 : Math.floor(rand() * 16),
        off: pickField(),
        imm: rand() < 0.7 ? pickField() : (rand() * 2 ** 32) | 0,
      }, code, pc);
    }
    return code;
  }

  it('disassembleInsn output assembles back to exactly the slots it covers', () => {
    const rand = rng(7);
    let canonical = 0;
    for (let i = 0; i < 5000; i++) {
      const code = randomCode(rand, 2);
      if (i % 10 === 0) {
        // A well-formed first lddw slot, so the checks on the second slot are exercised.
        code[0] = 0x18;
        code[1] = code[1]! & 0x07;
        code[2] = 0;
        code[3] = 0;
        if (i % 20 === 0) code.fill(0, 8, 12);
      }
      const text = disassembleInsn(code, 0);
      const covered = code[0] === 0x18 ? 16 : 8;
      expect(hex(assemble(text)), text).toBe(hex(code.subarray(0, covered)));
      if (!text.startsWith('.insn')) canonical++;
    }
    expect(canonical).toBeGreaterThan(400);
  });

  it('disassemble never throws, and with labels and no pcs the listing assembles back', () => {
    const rand = rng(99);
    for (let i = 0; i < 600; i++) {
      const slots = 1 + Math.floor(rand() * 24);
      const code = randomCode(rand, slots);
      // Short jumps so that labels are exercised.
      for (let pc = 0; pc < slots; pc++) {
        const op = code[pc * 8]!;
        if ((op & 0x07) === 0x05 && rand() < 0.7) {
          const off = Math.floor(rand() * slots) - pc - 1;
          code[pc * 8 + 2] = off & 0xff;
          code[pc * 8 + 3] = (off >> 8) & 0xff;
        }
      }
      const text = disassemble(code, { labels: true, showPc: false, functions: [{ name: 'main', pc: 0, length: slots }] });
      expect(hex(assemble(text)), text).toBe(hex(code));
      const cut = code.subarray(0, Math.floor(rand() * code.length));
      expect(() => disassemble(cut, { annotations: new Map([[0, 'x']]) })).not.toThrow();
    }
  });
});
