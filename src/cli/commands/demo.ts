import { relative } from 'node:path';
import { parse } from '../args.js';
import type { Command, Io } from '../io.js';
import { packageFile, PACKAGE_ROOT } from '../paths.js';
import { readInput } from '../program-file.js';
import { loadElf } from '../../vm/elf.js';
import { disassemble } from '../../vm/disasm.js';
import { ExecError } from '../../vm/errors.js';
import { Vm } from '../../vm/vm.js';
import { annotations } from './disasm.js';

const usage = `usage: pquic demo

Loads the bundled clang-built eBPF objects (plugins-c/), shows one disassembled, runs them
in the sandboxed WebAssembly interpreter, and shows the sandbox stopping a faulty and an
endless program. Needs no clang and no setup.`;

/** CRC-32 (IEEE, reflected), the reference the crc32 kernel is checked against. */
function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'load, disassemble and run the bundled eBPF plugin objects',
  usage,
  run(argv: string[], io: Io): number {
    parse(argv, {});
    const obj = (p: string): { path: string; bytes: Uint8Array } => {
      const path = packageFile('plugins-c', p);
      return { path: relative(PACKAGE_ROOT, path), bytes: readInput(path) };
    };
    const rule = (title: string): void => io.out(`\n== ${title} ${'='.repeat(Math.max(0, 70 - title.length))}`);
    io.out('pquic-ts demo: clang-built eBPF objects in a WebAssembly sandbox');

    // 1. A program with strings, local calls and helper calls, disassembled and run.
    const strings = obj('tests/strings.o');
    rule(`disassembly of ${strings.path}`);
    const image = loadElf(strings.bytes);
    io.out(disassemble(image.code, { functions: image.functions, annotations: annotations(image) }).replace(/\n$/, ''));
    rule(`run ${strings.path}`);
    const vm = new Vm();
    vm.registerStandardHelpers({ log: (line) => io.out(`  [pquic_log] ${line}`) });
    vm.loadElf(strings.bytes);
    const r = vm.exec();
    io.out(`  r0 = ${r.r0} (expected 136137) after ${r.instructions} eBPF instructions`);

    // 2. More of the ISA and the loader: local calls, globals in .data/.bss, atomics.
    rule('local calls, globals, atomics (plugins-c/tests)');
    const calls = obj('tests/calls.o');
    const vmCalls = new Vm();
    vmCalls.loadElf(calls.bytes);
    const mem = new Uint8Array(48);
    const dv = new DataView(mem.buffer);
    [1n, 2n, 3n, 4n, 5n].forEach((v, i) => dv.setBigUint64(i * 8, v, true));
    io.out(`  ${calls.path}: four levels of BPF-to-BPF calls -> r0 = ${vmCalls.exec({ mem }).r0} (expected 1663341320402770591)`);
    const globals = obj('tests/globals.o');
    const vmGlobals = new Vm();
    vmGlobals.loadElf(globals.bytes);
    const gmem = new Uint8Array([0x00, 0x01, 0x02, 0x03, 0x13, 0x23, 0x33, 0x0f, 0x1f, 0x05]);
    io.out(`  ${globals.path}: .data counters and .bss histograms -> r0 = ${vmGlobals.exec({ mem: gmem }).r0} (expected 8010101003)`);
    const atomics = obj('tests/atomics.o');
    const vmAtomics = new Vm();
    vmAtomics.loadElf(atomics.bytes);
    const amem = new Uint8Array(64);
    const adv = new DataView(amem.buffer);
    [0x1111111111111111n, 0x2222222222222222n, 2n, 0x4444444444444444n].forEach((v, i) => adv.setBigUint64(i * 8, v, true));
    [0x01010101, 5, 6, 0].forEach((v, i) => adv.setUint32(32 + i * 4, v, true));
    io.out(`  ${atomics.path}: add/or/and/xor/xchg/cmpxchg, 32 and 64 bits -> r0 = 0x${vmAtomics.exec({ mem: amem }).r0.toString(16)} (expected 0x7777777777777c74)`);

    // 3. A compute kernel with the uBPF convention, checked against TypeScript.
    rule('CRC-32 over 64 KiB (plugins-c/bench/crc32.o)');
    const kernel = obj('bench/crc32.o');
    const vmCrc = new Vm();
    vmCrc.loadElf(kernel.bytes);
    const data = new Uint8Array(65536);
    let x = 0x12345678;
    for (let i = 0; i < data.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      data[i] = x >>> 24;
    }
    vmCrc.exec({ mem: data });
    const t0 = process.hrtime.bigint();
    const rk = vmCrc.exec({ mem: data });
    const ns = Number(process.hrtime.bigint() - t0);
    const want = crc32(data);
    io.out(`  eBPF: 0x${rk.r0.toString(16)}  TypeScript: 0x${want.toString(16)}  ${BigInt(want) === rk.r0 ? 'match' : 'MISMATCH'}`);
    io.out(`  ${rk.instructions} instructions in ${(ns / 1e6).toFixed(2)} ms = ${((rk.instructions / ns) * 1000).toFixed(0)} M instructions/s, every access bounds-checked`);

    // 4. The sandbox at work.
    rule('the sandbox stops misbehaving programs');
    const fault = obj('tests/fault.o');
    const vmFault = new Vm();
    vmFault.loadElf(fault.bytes);
    const bad = new Uint8Array(16);
    new DataView(bad.buffer).setBigUint64(0, 0x40000000n, true);
    try {
      vmFault.exec({ mem: bad });
      io.out(`  ${fault.path}: UNEXPECTED: the out-of-bounds store was not stopped`);
      return 1;
    } catch (e) {
      if (!(e instanceof ExecError)) throw e;
      io.out(`  ${fault.path}: ${e.code}: ${e.message}`);
    }
    const inf = obj('tests/infinite.o');
    const vmInf = new Vm();
    vmInf.loadElf(inf.bytes);
    try {
      vmInf.exec({ fuel: 1_000_000 });
      io.out(`  ${inf.path}: UNEXPECTED: the endless loop returned`);
      return 1;
    } catch (e) {
      if (!(e instanceof ExecError)) throw e;
      io.out(`  ${inf.path}: ${e.code}: ${e.message}`);
    }
    io.out('\nNext: pquic run FILE.o, pquic disasm FILE.o, pquic inspect FILE.o, pquic conformance DIR (see pquic --help)');
    return 0;
  },
};
