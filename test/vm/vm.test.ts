import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/vm/asm.js';
import { ExecError, HelperFault, ValidationError, VmError } from '../../src/vm/errors.js';
import { Vm } from '../../src/vm/vm.js';
import { rawImage, type ProgramImage } from '../../src/vm/program.js';

function vmFor(src: string, setup?: (vm: Vm) => void): Vm {
  const vm = new Vm({ heapSize: 4096 });
  setup?.(vm);
  vm.load(assemble(src));
  return vm;
}

function run(src: string, opts: Parameters<Vm['exec']>[0] = {}): bigint {
  return vmFor(src).exec(opts).r0;
}

function execError(f: () => unknown): ExecError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ExecError);
    return e as ExecError;
  }
  throw new Error('expected an ExecError');
}

describe('Vm: registers and arguments', () => {
  it('passes r1..r5 and returns r0 as u64', () => {
    expect(run('mov %r0, %r1\nadd %r0, %r5\nexit', { args: [40, 0, 0, 0, 2] })).toBe(42n);
    expect(run('mov %r0, %r1\nexit', { args: [-1] })).toBe(0xffffffffffffffffn);
    expect(run('mov %r0, %r1\nexit', { args: [0x123456789abcdef0n] })).toBe(0x123456789abcdef0n);
  });

  it('counts executed instructions', () => {
    const r = vmFor('mov %r0, 0\nl:\nadd %r0, 1\njlt %r0, 10, l\nexit').exec();
    expect(r.r0).toBe(10n);
    expect(r.instructions).toBe(1 + 10 * 2 + 1);
  });

  it('grants mem for one call and copies it back', () => {
    const mem = new Uint8Array([1, 2, 3, 4]);
    const vm = vmFor('ldxw %r0, [%r1]\nstw [%r1], 0x11223344\nexit');
    expect(vm.exec({ mem }).r0).toBe(0x04030201n);
    expect([...mem]).toEqual([0x44, 0x33, 0x22, 0x11]);
    // The grant is gone once the call is over: the same address faults without mem.
    const e = execError(() => vm.exec({ args: [vm.layout.stack.start + vm.layout.stack.size + 0x100000] }));
    expect(e.code).toBe('OUT_OF_BOUNDS');
  });
});

describe('Vm: memory safety', () => {
  it('faults one byte past mem, naming pc, address, size and region', () => {
    const e = execError(() => run('ldxb %r0, [%r1+4]\nexit', { mem: new Uint8Array(4) }));
    expect(e.code).toBe('OUT_OF_BOUNDS');
    expect(e.pc).toBe(0);
    expect(e.message).toMatch(/out of bounds memory load at PC 0 \(ldxb %r0, \[%r1\+4\]\): address 0x[0-9a-f]+, size 1 \(nearest region: mem/);
  });

  it('faults on an access straddling the end of a region', () => {
    const e = execError(() => run('ldxdw %r0, [%r1+4]\nexit', { mem: new Uint8Array(8) }));
    expect(e.message).toMatch(/size 8 \(region mem/);
  });

  it('never lets high address bits alias into memory', () => {
    const e = execError(() => run('lddw %r2, 0x100000000\nadd %r1, %r2\nldxb %r0, [%r1]\nexit', { mem: new Uint8Array(4) }));
    expect(e.code).toBe('OUT_OF_BOUNDS');
    expect(e.message).toMatch(/address 0x1[0-9a-f]{8},/);
    const e2 = execError(() => run('lddw %r1, 0xffffffffffffffff\nldxb %r0, [%r1+1]\nexit'));
    expect(e2.code).toBe('OUT_OF_BOUNDS');
  });

  it('cannot read the registers, the code or NULL', () => {
    for (const addr of [0, 8, 0x100, 0x180, 0x1000, 0x1010]) {
      expect(execError(() => run('ldxb %r0, [%r1]\nexit', { args: [addr] })).code).toBe('OUT_OF_BOUNDS');
    }
  });

  it('bounds the stack to its frames', () => {
    expect(run('stdw [%r10-8], 7\nldxdw %r0, [%r10-8]\nexit')).toBe(7n);
    expect(execError(() => run('ldxdw %r0, [%r10]\nexit')).code).toBe('OUT_OF_BOUNDS');
    const vm = vmFor('exit');
    const { size } = vm.layout.stack;
    expect(run(`stb [%r10-${size}], 1\nldxb %r0, [%r10-${size}]\nexit`)).toBe(1n);
    expect(execError(() => run(`stb [%r10-${size + 1}], 1\nexit`)).code).toBe('OUT_OF_BOUNDS');
  });

  it('checks atomics like stores', () => {
    expect(execError(() => run('mov %r2, 1\nlock add [%r1+0], %r2\nexit', { mem: new Uint8Array(2) })).code).toBe('OUT_OF_BOUNDS');
  });

  it('keeps read-only data read-only', () => {
    const image: ProgramImage = {
      ...rawImage(assemble('lddw %r1, 0\nldxb %r0, [%r1]\nstb [%r1], 9\nexit')),
      sections: [{ name: '.rodata', bytes: new Uint8Array([42]), writable: false, align: 1 }],
      dataRelocs: [{ pc: 0, section: 0, offset: 0 }],
    };
    const vm = new Vm();
    vm.loadImage(image);
    const e = execError(() => vm.exec());
    expect(e.pc).toBe(3);
    expect(e.message).toMatch(/out of bounds memory store .* \(region \.rodata .*read-only\)/);
  });
});

describe('Vm: local calls', () => {
  it('gives each call its own frame and preserves r6..r9', () => {
    const r = run(`
      mov %r6, 6
      stdw [%r10-8], 1
      call local f
      ldxdw %r1, [%r10-8]
      add %r0, %r1
      add %r0, %r6
      exit
    f:
      stdw [%r10-8], 100
      mov %r6, 0
      mov %r0, 1000
      exit`);
    expect(r).toBe(1000n + 1n + 6n);
  });

  it('allows 8 nested calls and stops the 9th', () => {
    const chain = (n: number) => {
      let s = 'call local f1\nexit\n';
      for (let i = 1; i <= n; i++) s += `f${i}:\n${i < n ? `call local f${i + 1}\n` : 'mov %r0, 99\n'}exit\n`;
      return s;
    };
    expect(run(chain(8))).toBe(99n);
    const e = execError(() => run(chain(9)));
    expect(e.code).toBe('CALL_DEPTH');
    expect(e.message).toMatch(/exceeds max \(8\)/);
  });

  it('stops unbounded recursion with CALL_DEPTH', () => {
    expect(execError(() => run('call local f\nexit\nf:\ncall local f\nexit')).code).toBe('CALL_DEPTH');
  });
});

describe('Vm: fuel', () => {
  it('stops an endless loop and reports where', () => {
    const vm = vmFor('l:\nadd %r0, 1\nja l\nexit');
    const e = execError(() => vm.exec({ fuel: 1000 }));
    expect(vm.lastError).toBe(e);
    expect(e.code).toBe('FUEL_EXHAUSTED');
    expect(e.message).toMatch(/instruction budget of 1000 exhausted at PC [01]/);
  });

  it('runs a program that fits its budget exactly', () => {
    expect(vmFor('mov %r0, 1\nexit').exec({ fuel: 2 }).r0).toBe(1n);
    expect(execError(() => vmFor('mov %r0, 1\nexit').exec({ fuel: 1 })).code).toBe('FUEL_EXHAUSTED');
  });

  it('rejects a nonsensical budget', () => {
    expect(() => vmFor('exit').exec({ fuel: -1 })).toThrow(VmError);
    expect(() => vmFor('exit').exec({ fuel: 1.5 })).toThrow(/fuel/);
  });
});

describe('Vm: helpers', () => {
  it('calls helpers by id with r1..r5 and takes r0', () => {
    const vm = vmFor('mov %r1, 20\nmov %r2, 22\ncall 7\nexit', (v) => v.registerHelper(7, 'add', (c) => c.num(1) + c.num(2)));
    expect(vm.exec().r0).toBe(42n);
  });

  it('returns negative numbers and bigints as u64', () => {
    const vm = vmFor('call 1\nmov %r6, %r0\ncall 2\nadd %r0, %r6\nexit', (v) => {
      v.registerHelper(1, 'neg', () => -5);
      v.registerHelper(2, 'big', () => 0x100000000n);
    });
    expect(vm.exec().r0).toBe(0x100000000n - 5n);
  });

  it('rejects an unregistered helper at load', () => {
    expect(() => vmFor('call 9\nexit')).toThrow(ValidationError);
    expect(() => vmFor('call 9\nexit')).toThrow(/call to nonexistent function 9 at PC 0/);
  });

  it('fails an unknown callx target at run time', () => {
    const e = execError(() => run('mov %r2, 77\ncall %r2\nexit'));
    expect(e.code).toBe('UNKNOWN_HELPER');
  });

  it('checks helper pointers against the program memory', () => {
    const setup = (v: Vm) => v.registerHelper(3, 'peek', (c) => c.bytes(c.num(1), c.num(2))[0] ?? 0);
    const ok = vmFor('mov %r1, %r10\nsub %r1, 8\nstb [%r1], 5\nmov %r2, 8\ncall 3\nexit', setup);
    expect(ok.exec().r0).toBe(5n);
    const bad = vmFor('mov %r1, %r10\nsub %r1, 8\nmov %r2, 9\ncall 3\nexit', setup);
    const e = execError(() => bad.exec());
    expect(e.code).toBe('OUT_OF_BOUNDS');
    expect(e.message).toMatch(/helper peek failed at PC 3 .*buffer \[0x[0-9a-f]+, \+9\) is not inside the program's memory/);
  });

  it('turns a throwing helper into HELPER_ERROR', () => {
    const vm = vmFor('call 4\nexit', (v) => v.registerHelper(4, 'boom', () => {
      throw new HelperFault('no way');
    }));
    const e = execError(() => vm.exec());
    expect(e.code).toBe('HELPER_ERROR');
    expect(e.message).toBe('helper boom failed at PC 0 (call 4 # boom): no way');
  });

  it('lets a helper charge fuel for its own work, and fails the run when the budget cannot pay', () => {
    // A loop of 10 helper calls, each charging 100 instructions.
    const src = 'mov %r6, 10\nloop:\nmov %r1, 100\ncall 5\nsub %r6, 1\njne %r6, 0, loop\nmov %r0, 1\nexit';
    const setup = (v: Vm) => v.registerHelper(5, 'work', (c) => {
      c.charge(c.num(1));
    });
    const plain = vmFor(src.replace('mov %r1, 100', 'mov %r1, 0'), setup).exec();
    const charged = vmFor(src, setup).exec();
    expect(charged.instructions - plain.instructions).toBe(1000);
    // 1000 + the loop's own instructions do not fit in 900: the 9th or 10th call cannot pay.
    const e = execError(() => vmFor(src, setup).exec({ fuel: 900 }));
    expect(e.code).toBe('HELPER_ERROR');
    expect(e.message).toMatch(/helper work failed at PC \d+ .*instruction budget exhausted: this call costs 100, \d+ left/);
    // A run that can pay gets exactly the same result as without charges.
    expect(vmFor(src, setup).exec({ fuel: 2000 }).r0).toBe(1n);
  });

  it('reads C strings and fails on unterminated ones', () => {
    const seen: string[] = [];
    const setup = (v: Vm) => v.registerHelper(6, 'puts', (c) => {
      seen.push(c.cstring(c.num(1)));
    });
    vmFor('stw [%r10-8], 0x216968\nmov %r1, %r10\nsub %r1, 8\ncall 6\nexit', setup).exec();
    expect(seen).toEqual(['hi!']);
    const e = execError(() => vmFor('stdw [%r10-8], -1\nmov %r1, %r10\nsub %r1, 1\ncall 6\nexit', setup).exec());
    expect(e.message).toMatch(/not NUL-terminated/);
  });

  it('standard helpers: memcpy, memset, memcmp, strlen, log', () => {
    const lines: string[] = [];
    const vm = new Vm();
    vm.registerStandardHelpers({ log: (l) => lines.push(l) });
    vm.load(assemble(`
      stdw [%r10-16], 0
      stw [%r10-16], 0x636261
      mov %r1, %r10
      sub %r1, 8
      mov %r2, %r10
      sub %r2, 16
      mov %r3, 4
      call 35
      mov %r1, %r10
      sub %r1, 8
      call 51
      mov %r6, %r0
      lddw %r1, 0x25
      stdw [%r10-24], 0
      stw [%r10-24], 0x64253d78
      mov %r1, %r10
      sub %r1, 24
      mov %r2, %r6
      call 200
      mov %r0, %r6
      exit`));
    expect(vm.exec().r0).toBe(3n);
    expect(lines).toEqual(['x=3']);
  });
});

describe('Vm: loading', () => {
  it('refuses a second program and exec before load', () => {
    const vm = new Vm();
    expect(() => vm.exec()).toThrow(/no program loaded/);
    vm.load(assemble('exit'));
    expect(() => vm.load(assemble('exit'))).toThrow(/already loaded/);
  });

  it('validates structure at load with uBPF messages', () => {
    const load = (src: string) => () => new Vm().load(assemble(src));
    expect(load('ja +0\nexit')).not.toThrow();
    expect(load('mov %r0, 1')).toThrow(/does not end with EXIT/);
    expect(load('ja +5\nexit')).toThrow(/jump out of bounds at PC 0/);
    expect(load('ja -1\nexit')).toThrow(/infinite loop at PC 0/);
    expect(load('ja +1\nlddw %r0, 1\nexit')).toThrow(/jump to middle of lddw at PC 0/);
    expect(() => new Vm().load(new Uint8Array(7))).toThrow(/not a multiple of 8/);
    expect(() => new Vm().load(new Uint8Array(0))).toThrow(/no instructions/);
    expect(() => new Vm().load(new Uint8Array([0x18, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/incomplete lddw/);
    expect(() => new Vm().load(new Uint8Array([0xff, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/unknown opcode 0xff at PC 0/);
    // r10 is read-only
    expect(() => new Vm().load(new Uint8Array([0xb7, 0x0a, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/invalid destination register at PC 0/);
  });

  it('rejects too many instructions', () => {
    const code = new Uint8Array(70000 * 8);
    for (let i = 0; i < 70000; i++) code[i * 8] = 0x95;
    expect(() => new Vm().load(code)).toThrow(/too many instructions/);
  });

  it('checks options', () => {
    expect(() => new Vm({ heapSize: -1 })).toThrow(/heapSize/);
    expect(() => new Vm({ frameSize: 100 })).toThrow(/frameSize/);
  });
});
