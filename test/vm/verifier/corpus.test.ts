/**
 * The malicious and buggy corpus: every program is rejected, for the right reason (its code and
 * the words of its message). `definite` programs are rejected under both policies; the others
 * only under strict, and `checked` keeps their runtime checks instead.
 */
import { describe, expect, it } from 'vitest';
import type { ProgramImage } from '../../../src/vm/program.js';
import { elf, first, verifyAsm, verifyImage, withData, type Opts } from './util.js';

interface Case {
  name: string;
  /** Assembly source, or a program image. */
  program: string | (() => ProgramImage);
  code: string;
  reason: RegExp;
  ctx?: Opts['ctx'];
  /** Rejected under checked too. */
  definite?: boolean;
}

// Helper ids of the plugin ABI (src/plugins/abi.ts).
const GET_CNX = 2;
const GET_PATH = 6;
const SET_CNX_METADATA = 5;
const MALLOC = 32;
const MEMCPY = 35;
const MESSAGE_SEND = 209;

/** A 16-byte heap block in r0, checked for NULL; r6 keeps the connection handle. */
const ALLOC16 = `mov %r6, %r1\nmov %r2, 16\ncall ${MALLOC}\njne %r0, 0, ok\nexit\nok:\n`;

const ASM: Case[] = [
  // Stack
  { name: 'stack store below the frame', program: 'stdw [%r10-520], 1\nmov %r0, 0\nexit', code: 'STACK_FRAME', reason: /stack frame has 512 bytes/, definite: true },
  { name: 'oversized frame (a 4 KiB local)', program: 'mov %r1, %r10\nadd %r1, -4096\nstb [%r1], 0\nmov %r0, 0\nexit', code: 'STACK_FRAME', reason: /offset -4096/, definite: true },
  { name: 'stack store above r10', program: 'stdw [%r10], 1\nmov %r0, 0\nexit', code: 'OUT_OF_BOUNDS', reason: /outside \[-512, 0\)/, definite: true },
  {
    name: 'stack store at a variable offset',
    program: 'jeq %r2, 0, out\nldxb %r3, [%r1]\nlsh %r3, 4\nmov %r4, %r10\nsub %r4, %r3\nstb [%r4-1], 0\nout:\nmov %r0, 0\nexit',
    code: 'OUT_OF_BOUNDS', reason: /may leave \[-512, 0\)/, ctx: 'mem',
  },
  { name: 'uninitialized stack read', program: 'ldxdw %r0, [%r10-8]\nexit', code: 'UNINIT_STACK', reason: /fp-8 not written/, definite: true },
  { name: 'stack slot written on one path only', program: 'jeq %r2, 0, skip\nstdw [%r10-8], 1\nskip:\nldxdw %r0, [%r10-8]\nexit', code: 'UNINIT_STACK', reason: /not written on every path/, ctx: 'mem', definite: true },
  // Registers
  { name: 'uninitialized register', program: 'mov %r0, %r3\nexit', code: 'UNINIT_REG', reason: /uninitialized register r3/, definite: true },
  { name: 'uninitialized return value', program: 'exit', code: 'UNINIT_REG', reason: /r0 \(the return value\)/, definite: true },
  { name: 'registers r1-r5 after a helper call', program: `mov %r2, 0\nmov %r3, 0\ncall ${GET_CNX}\nmov %r0, %r2\nexit`, code: 'UNINIT_REG', reason: /uninitialized register r2/, definite: true },
  { name: 'uninitialized helper argument', program: `call ${GET_CNX}\nexit`, code: 'UNINIT_REG', reason: /argument r2 of get_cnx/, definite: true },
  { name: 'write to r10', program: 'mov %r10, 0\nmov %r0, 0\nexit', code: 'R10_WRITE', reason: /invalid destination register/, definite: true },
  { name: 'arithmetic on r10', program: 'add %r10, 8\nmov %r0, 0\nexit', code: 'R10_WRITE', reason: /invalid destination register/, definite: true },
  // Handles and NULL
  { name: 'connection handle dereference', program: 'ldxdw %r0, [%r1]\nexit', code: 'HANDLE_DEREF', reason: /opaque cnx handle/, definite: true },
  { name: 'store through the connection handle', program: 'stdw [%r1+8], 0\nmov %r0, 0\nexit', code: 'HANDLE_DEREF', reason: /opaque cnx handle/, definite: true },
  { name: 'NULL dereference after my_malloc', program: `mov %r2, 16\ncall ${MALLOC}\nstdw [%r0], 1\nmov %r0, 0\nexit`, code: 'NULL_DEREF', reason: /may be NULL/ },
  { name: 'dereference on the NULL branch', program: `mov %r2, 16\ncall ${MALLOC}\njne %r0, 0, ok\nstdw [%r0], 1\nok:\nmov %r0, 0\nexit`, code: 'NULL_DEREF', reason: /NULL page/, definite: true },
  { name: 'arithmetic before the NULL check', program: `mov %r2, 16\ncall ${MALLOC}\nadd %r0, 8\nmov %r0, 0\nexit`, code: 'BAD_POINTER_ARITH', reason: /may be NULL/ },
  // Heap
  { name: 'heap store past the block', program: `${ALLOC16}stdw [%r0+16], 1\nmov %r0, 0\nexit`, code: 'OUT_OF_BOUNDS', reason: /heap block of 16 bytes/ },
  {
    name: 'heap store at a variable offset',
    program: `${ALLOC16}mov %r7, %r0\nmov %r1, %r6\nmov %r2, 0\nmov %r3, 0\ncall ${GET_CNX}\nand %r0, 31\nadd %r7, %r0\nstb [%r7], 1\nmov %r0, 0\nexit`,
    code: 'OUT_OF_BOUNDS', reason: /offset \[0, 31\] size 1 in a heap block of 16 bytes/,
  },
  // Context buffer (uBPF's convention)
  { name: 'input read with no length check', program: 'ldxdw %r0, [%r1]\nexit', code: 'OUT_OF_BOUNDS', reason: /context buffer: may pass its end/, ctx: 'mem' },
  { name: 'input read past a checked length', program: 'jgt %r2, 4, out\nldxw %r0, [%r1+8]\nexit\nout:\nmov %r0, 0\nexit', code: 'OUT_OF_BOUNDS', reason: /past its end/, ctx: 'mem', definite: true },
  { name: 'input read below its start', program: 'ldxb %r0, [%r1-1]\nexit', code: 'OUT_OF_BOUNDS', reason: /below its start/, ctx: 'mem', definite: true },
  // Data sections
  {
    name: '.data store past the section',
    program: () => withData('lddw %r1, 0\nstdw [%r1+32], 1\nmov %r0, 0\nexit', [{ name: '.data', size: 32, writable: true }], [{ pc: 0, section: 0 }]),
    code: 'OUT_OF_BOUNDS', reason: /section \.data: outside \[0, 32\)/, definite: true,
  },
  {
    name: '.bss read at a variable offset',
    program: () => withData(`mov %r2, 0\nmov %r3, 0\ncall ${GET_CNX}\nlddw %r1, 0\nadd %r1, %r0\nldxb %r0, [%r1]\nexit`, [{ name: '.bss', size: 64, writable: true }], [{ pc: 3, section: 0 }]),
    code: 'OUT_OF_BOUNDS', reason: /section \.bss: may leave \[0, 64\)/,
  },
  {
    name: '.rodata store',
    program: () => withData('lddw %r1, 0\nstb [%r1], 1\nmov %r0, 0\nexit', [{ name: '.rodata', size: 8, writable: false }], [{ pc: 0, section: 0 }]),
    code: 'READ_ONLY', reason: /read-only section \.rodata/, definite: true,
  },
  // Helpers
  { name: 'unknown helper', program: 'call 999\nmov %r0, 0\nexit', code: 'UNKNOWN_HELPER', reason: /nonexistent function 999/, definite: true },
  {
    name: 'forged pointer passed to my_memcpy',
    program: `lddw %r1, 0x40001000\nmov %r2, %r10\nadd %r2, -8\nstdw [%r10-8], 0\nmov %r3, 8\ncall ${MEMCPY}\nmov %r0, 0\nexit`,
    code: 'HELPER_ARG', reason: /my_memcpy argument r1: dereference of a number/,
  },
  {
    name: 'length longer than the buffer',
    program: `stdw [%r10-8], 0\nmov %r1, %r10\nadd %r1, -16\nmov %r2, %r10\nadd %r2, -8\nmov %r3, 24\ncall ${MEMCPY}\nmov %r0, 0\nexit`,
    code: 'HELPER_ARG', reason: /my_memcpy argument r1 with length r3: offset -16 size 24/, definite: true,
  },
  {
    name: 'message longer than the host takes',
    program: `stdw [%r10-8], 0\nmov %r2, %r10\nadd %r2, -8\nmov %r3, 100000\ncall ${MESSAGE_SEND}\nmov %r0, 0\nexit`,
    code: 'HELPER_ARG', reason: /length r3 may be 100000 \(at most 65536\)/, definite: true,
  },
  {
    name: 'helper reads uninitialized stack',
    program: `mov %r1, %r10\nadd %r1, -16\nmov %r2, %r10\nadd %r2, -32\nmov %r3, 16\ncall ${MEMCPY}\nmov %r0, 0\nexit`,
    code: 'UNINIT_STACK', reason: /my_memcpy reads stack bytes \(r2\)/, definite: true,
  },
  {
    name: 'stack read after a helper wrote a variable length',
    program: `mov %r6, %r1\nmov %r2, 0\nmov %r3, 0\ncall ${GET_CNX}\nand %r0, 7\nmov %r3, %r0\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 0\ncall 36\nldxdw %r0, [%r10-8]\nexit`,
    code: 'UNINIT_STACK', reason: /fp-8 not written on every path/, definite: true,
  },
  { name: 'connection handle as a path handle', program: `mov %r2, 0\nmov %r3, 0\ncall ${GET_PATH}\nexit`, code: 'HELPER_ARG', reason: /expects a path handle in r1, got a cnx handle/, definite: true },
  // Pointer leaks and arithmetic
  { name: 'stack address returned', program: 'mov %r0, %r10\nexit', code: 'POINTER_LEAK', reason: /returns an address/ },
  { name: 'stack address kept as metadata', program: `mov %r2, 0\nmov %r3, %r10\ncall ${SET_CNX_METADATA}\nmov %r0, 0\nexit`, code: 'POINTER_LEAK', reason: /set_cnx_metadata receives an address in r3/ },
  { name: 'stack address stored in the heap', program: `${ALLOC16}stxdw [%r0], %r10\nmov %r0, 0\nexit`, code: 'POINTER_LEAK', reason: /store of a pointer into the heap/ },
  { name: 'half a pointer returned', program: 'stxdw [%r10-8], %r10\nldxw %r0, [%r10-8]\nexit', code: 'POINTER_LEAK', reason: /returns an address/ },
  { name: 'pointer times pointer', program: 'mov %r0, %r10\nmul %r0, %r10\nmov %r0, 0\nexit', code: 'BAD_POINTER_ARITH', reason: /mul of two pointers/ },
  { name: 'pointers of two regions compared', program: 'jgt %r1, %r10, out\nout:\nmov %r0, 0\nexit', code: 'BAD_POINTER_COMPARE', reason: /different regions/, ctx: 'mem' },
  { name: 'division by the constant 0', program: 'mov %r0, 7\ndiv %r0, 0\nexit', code: 'DIV_BY_ZERO', reason: /constant 0/ },
  // Control flow
  { name: 'jump into the second half of lddw', program: 'ja +1\nlddw %r0, 1\nmov %r0, 0\nexit', code: 'BAD_JUMP', reason: /jump to middle of lddw/, definite: true },
  { name: 'jump out of the program', program: 'ja +5\nmov %r0, 0\nexit', code: 'BAD_JUMP', reason: /jump out of bounds/, definite: true },
  { name: 'fall-through past the end', program: 'mov %r0, 0', code: 'FALL_THROUGH', reason: /does not end with EXIT/, definite: true },
  { name: 'conditional jump as the last instruction', program: 'mov %r0, 0\njeq %r0, 0, -2', code: 'FALL_THROUGH', reason: /does not end with EXIT/, definite: true },
  { name: 'unreachable code', program: 'mov %r0, 0\nexit\nmov %r0, 1\nexit', code: 'UNREACHABLE', reason: /unreachable instruction at PC 2/, definite: true },
  { name: 'self jump', program: 'ja -1\nexit', code: 'INFINITE_LOOP', reason: /infinite loop/, definite: true },
  { name: 'loop nothing leaves', program: 'mov %r0, 0\nl:\nadd %r0, 1\nja l', code: 'INFINITE_LOOP', reason: /nothing leaves the loop/, definite: true },
  {
    name: 'loop on a value from the host',
    program: `mov %r2, 0\nmov %r3, 0\ncall ${GET_CNX}\nl:\nrsh %r0, 1\njne %r0, 5, l\nexit`,
    code: 'UNBOUNDED_LOOP', reason: /cannot bound the loop/,
  },
  { name: 'counter stepped on one path only', program: 'mov %r0, 0\nl:\njeq %r1, 0, skip\nadd %r0, 1\nskip:\njlt %r0, 10, l\nexit', code: 'UNBOUNDED_LOOP', reason: /not stepped on every path/, ctx: 'mem' },
  { name: 'recursion', program: 'call local f\nexit\nf:\ncall local f\nexit', code: 'RECURSION', reason: /recursive call/, definite: true },
  { name: 'mutual recursion', program: 'call local f\nexit\nf:\ncall local g\nexit\ng:\ncall local f\nexit', code: 'RECURSION', reason: /recursive call/, definite: true },
  {
    name: 'calls nested too deep',
    program: ['call local f1', 'exit', ...Array.from({ length: 9 }, (_, i) => `f${i + 1}:\n${i < 8 ? `call local f${i + 2}\n` : 'mov %r0, 0\n'}exit`)].join('\n'),
    code: 'CALL_DEPTH', reason: /nest 9 deep/, definite: true,
  },
  { name: 'unknown opcode', program: '.insn 0x00000000000000ff\nexit', code: 'BAD_PROGRAM', reason: /unknown opcode 0xff/, definite: true },
  { name: 'nonzero reserved field', program: 'mov %r0, 0\n.insn 0x0000000100000095', code: 'BAD_PROGRAM', reason: /reserved field must be zero for exit/, definite: true },
  { name: 'indirect call', program: 'mov %r1, 35\ncallx %r1\nexit', code: 'BAD_PROGRAM', reason: /callx/, definite: true },
];

/** plugins-c/verifier-tests/*.c, each function a program. */
const C: Case[] = [
  { name: 'C: stack array indexed by input', program: () => elf('plugins-c/verifier-tests/bad_mem.o', 'stack_var_oob'), code: 'OUT_OF_BOUNDS', reason: /stack frame: may leave/, ctx: 'mem' },
  { name: 'C: a stack array filled 3 of 4 words, read anywhere', program: () => elf('plugins-c/verifier-tests/bad_mem.o', 'stack_table_short'), code: 'UNINIT_STACK', reason: /variable offset not written/, ctx: 'mem' },
  { name: 'C: pos + 8 <= len checked, byte pos + 8 written', program: () => elf('plugins-c/verifier-tests/bad_mem.o', 'write_records_past'), code: 'OUT_OF_BOUNDS', reason: /may pass its end/, ctx: 'mem' },
  { name: 'C: my_malloc without NULL check', program: () => elf('plugins-c/verifier-tests/bad_mem.o', 'heap_no_null_check'), code: 'NULL_DEREF', reason: /may be NULL/ },
  { name: 'C: heap block indexed by input', program: () => elf('plugins-c/verifier-tests/bad_mem.o', 'heap_var_oob'), code: 'OUT_OF_BOUNDS', reason: /heap block of 16 bytes: may leave/ },
  { name: 'C: write into .rodata', program: () => elf('plugins-c/verifier-tests/bad_mem.o', 'rodata_write'), code: 'READ_ONLY', reason: /read-only section \.rodata/, ctx: 'mem', definite: true },
  { name: 'C: global array indexed by input', program: () => elf('plugins-c/verifier-tests/bad_mem.o', 'data_var_oob'), code: 'OUT_OF_BOUNDS', reason: /section \.bss: may leave/ },
  { name: 'C: handle dereference', program: () => elf('plugins-c/verifier-tests/bad_mem.o', 'handle_deref'), code: 'HANDLE_DEREF', reason: /opaque cnx handle/, definite: true },
  { name: 'C: input read past the checked length', program: () => elf('plugins-c/verifier-tests/bad_mem.o', 'ctx_unchecked'), code: 'OUT_OF_BOUNDS', reason: /context buffer: may pass its end/, ctx: 'mem' },
  { name: 'C: memcmp of unwritten stack', program: () => elf('plugins-c/verifier-tests/bad_mem.o', 'uninit_stack'), code: 'UNINIT_STACK', reason: /memcmp reads stack bytes/, ctx: 'mem', definite: true },
  { name: 'C: forged pointer to my_memcpy', program: () => elf('plugins-c/verifier-tests/bad_helpers.o', 'forged_pointer'), code: 'HELPER_ARG', reason: /my_memcpy argument r1: dereference of a number/ },
  { name: 'C: 32 bytes into a 16-byte buffer', program: () => elf('plugins-c/verifier-tests/bad_helpers.o', 'too_long'), code: 'HELPER_ARG', reason: /offset -16 size 32 in the stack frame/, definite: true },
  { name: 'C: message too long', program: () => elf('plugins-c/verifier-tests/bad_helpers.o', 'message_too_long'), code: 'HELPER_ARG', reason: /may be 70000 \(at most 65536\)/, definite: true },
  { name: 'C: stack address as metadata', program: () => elf('plugins-c/verifier-tests/bad_helpers.o', 'leak_metadata'), code: 'POINTER_LEAK', reason: /set_cnx_metadata receives an address/ },
  { name: 'C: stack address returned', program: () => elf('plugins-c/verifier-tests/bad_helpers.o', 'leak_return'), code: 'POINTER_LEAK', reason: /returns an address/ },
  { name: 'C: connection handle as a path', program: () => elf('plugins-c/verifier-tests/bad_helpers.o', 'wrong_handle'), code: 'HELPER_ARG', reason: /expects a path handle/, definite: true },
  { name: 'C: Collatz loop', program: () => elf('plugins-c/verifier-tests/bad_flow.o', 'collatz'), code: 'UNBOUNDED_LOOP', reason: /cannot bound the loop/ },
  { name: 'C: loop nothing leaves', program: () => elf('plugins-c/verifier-tests/bad_flow.o', 'forever'), code: 'INFINITE_LOOP', reason: /nothing leaves the loop/, definite: true },
  { name: 'C: recursive Fibonacci', program: () => elf('plugins-c/verifier-tests/bad_flow.o', 'recursive'), code: 'RECURSION', reason: /recursive call/, ctx: 'mem', definite: true },
];

describe('verifier corpus: rejected for the right reason', () => {
  it('has at least 40 programs, in assembly and in C', () => {
    expect(ASM.length + C.length).toBeGreaterThanOrEqual(40);
    expect(C.length).toBeGreaterThanOrEqual(10);
  });

  for (const c of [...ASM, ...C]) {
    it(`${c.name}: ${c.code}`, () => {
      const run = (policy: 'strict' | 'checked') => (typeof c.program === 'string' ? verifyAsm(c.program, { policy, ctx: c.ctx }) : verifyImage(c.program(), { policy, ctx: c.ctx }));
      const strict = run('strict');
      expect(strict.ok).toBe(false);
      const e = strict.errors.find((x) => x.code === c.code);
      expect(e, `expected ${c.code}, got ${JSON.stringify(first(strict))}`).toBeDefined();
      expect(e!.reason).toMatch(c.reason);
      // Every rejection names the instruction and (past the structural checks) the state.
      expect(e!.insn.length).toBeGreaterThan(0);
      const checked = run('checked');
      if (c.definite) expect(checked.errors.some((x) => x.code === c.code)).toBe(true);
      else expect(checked.errors.some((x) => x.code === c.code && x.pc === e!.pc)).toBe(false);
    });
  }

  it('a rejection carries the state and the path that led there', () => {
    const r = verifyAsm(`mov %r2, 16\ncall ${MALLOC}\nmov %r6, %r0\nstdw [%r6], 1\nmov %r0, 0\nexit`);
    const e = r.errors[0]!;
    expect(e).toMatchObject({ code: 'NULL_DEREF', pc: 3, insn: 'stdw [%r6], 1' });
    expect(e.state).toMatch(/r6=ptr_or_null\(heap\(16\)\)/);
    expect(e.trace.map((t) => t.pc)).toEqual([0, 1, 2, 3]);
    expect(e.trace[2]!.state).toMatch(/r0=ptr_or_null/);
  });
});

describe('verifier: pointer comparisons only refine what cannot wrap', () => {
  it('a pointer far below its region does not make the other branch unreachable', () => {
    // p = r1 - 2^33: its address wraps, so `p < end` is false at run time; the access on that
    // branch must still be judged (and it is out of bounds).
    const src = 'mov %r3, %r1\nadd %r3, %r2\nmov %r4, %r1\nlddw %r5, 0x200000000\nsub %r4, %r5\njlt %r4, %r3, out\nldxb %r0, [%r4]\nexit\nout:\nmov %r0, 0\nexit';
    const r = verifyAsm(src, { ctx: 'mem' });
    expect(r.errors.some((e) => e.pc === 7 && e.code === 'OUT_OF_BOUNDS')).toBe(true);
  });
});
