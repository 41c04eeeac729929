import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { assemble } from '../../src/vm/asm.js';
import { loadElf } from '../../src/vm/elf.js';
import { linkPrograms } from '../../src/vm/link.js';
import { rawImage } from '../../src/vm/program.js';
import { Vm } from '../../src/vm/vm.js';

const obj = (p: string) => new Uint8Array(readFileSync(new URL(`../../plugins-c/${p}`, import.meta.url)));

describe('linking several programs into one memory image', () => {
  const helpers = { helperId: () => undefined, isHelper: () => false };

  it('places every program at its own base and runs each by name', () => {
    const linked = linkPrograms([
      { name: 'a', image: rawImage(assemble('mov %r0, 1\nja +1\nmov %r0, 9\nexit')) },
      { name: 'b', image: rawImage(assemble('mov %r0, %r1\ncall local f\nexit\nf:\nadd %r0, 100\nexit')) },
    ], helpers);
    expect(linked.programs.map((p) => [p.name, p.base, p.length])).toEqual([['a', 0, 4], ['b', 5, 5]]);
    const vm = new Vm();
    vm.loadLinked(linked);
    expect(vm.exec({ program: 'a' }).r0).toBe(1n);
    expect(vm.exec({ program: 'b', args: [5] }).r0).toBe(105n);
    expect(vm.exec({ program: 1, args: [1] }).r0).toBe(101n);
    expect(() => vm.exec({ program: 'c' })).toThrow(/no program "c"/);
  });

  it('reports faults with the program name and its own pc', () => {
    const linked = linkPrograms([
      { name: 'ok', image: rawImage(assemble('exit')) },
      { name: 'bad', image: rawImage(assemble('mov %r0, 0\nldxb %r0, [%r0]\nexit')) },
    ], helpers);
    const vm = new Vm();
    vm.loadLinked(linked);
    expect(() => vm.exec({ program: 'bad' })).toThrow(/at PC 1 \(bad: ldxb %r0, \[%r0\+0\]\)|at PC 1 \(bad: ldxb %r0, \[%r0\]\)/);
  });

  it('shares one .data area between a plugin\'s programs, and gives every instance its own copy', () => {
    const globals = loadElf(obj('tests/globals.o'));
    const linked = linkPrograms([{ name: 'g1', image: globals }, { name: 'g2', image: globals }], helpers);
    const a = new Vm();
    a.loadLinked(linked);
    const b = new Vm();
    b.loadLinked(linked);
    const mem = () => new Uint8Array([1, 2, 3]);
    // `calls` starts at 7 in each object and increments per run: instances do not share it.
    expect(a.exec({ program: 'g1', mem: mem() }).r0 / 1_000_000_000n).toBe(8n);
    expect(a.exec({ program: 'g1', mem: mem() }).r0 / 1_000_000_000n).toBe(9n);
    expect(b.exec({ program: 'g1', mem: mem() }).r0 / 1_000_000_000n).toBe(8n);
    // g2 is another copy of the object with its own sections.
    expect(a.exec({ program: 'g2', mem: mem() }).r0 / 1_000_000_000n).toBe(8n);
  });

  it('keeps the read-only area read-only across programs', () => {
    const linked = linkPrograms([{ name: 's', image: loadElf(obj('tests/tables.o')) }], helpers);
    expect(linked.rodata?.writable).toBe(false);
    expect(linked.data).toBeUndefined();
  });
});

describe('nested execution through a helper', () => {
  it('keeps the interrupted program\'s registers, stack and granted memory', () => {
    const vm = new Vm();
    const linked = linkPrograms([
      // outer: keeps values in r6-r9, on its stack and in mem, calls helper 9 (which runs `inner`), checks them all
      { name: 'outer', image: rawImage(assemble(`
        mov %r6, 6
        mov %r7, 7
        stdw [%r10-8], 1234
        stb [%r1], 42
        mov %r9, %r1
        call 9
        mov %r8, %r0
        ldxdw %r1, [%r10-8]
        ldxb %r2, [%r9]
        mov %r0, %r6
        add %r0, %r7
        add %r0, %r1
        add %r0, %r2
        add %r0, %r8
        exit`)) },
      // inner: scribbles over registers, its stack and its own mem, returns 1000
      { name: 'inner', image: rawImage(assemble(`
        mov %r6, 0
        mov %r7, 0
        stdw [%r10-8], 0
        stb [%r1], 0
        mov %r0, 1000
        exit`)) },
    ], { helperId: () => undefined, isHelper: (id) => id === 9 });
    vm.registerHelper(9, 'nested', () => vm.exec({ program: 'inner', mem: new Uint8Array(4) }).r0);
    vm.loadLinked(linked);
    const mem = new Uint8Array(4);
    expect(vm.exec({ program: 'outer', mem }).r0).toBe(6n + 7n + 1234n + 42n + 1000n);
    expect(mem[0]).toBe(42);
  });
});
