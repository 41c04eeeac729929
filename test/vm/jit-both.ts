/**
 * Runs an assembled program on the interpreter and on the JIT with the same options and returns
 * what each gave (r0, instruction count and memory, or the error), for the JIT tests to compare.
 * Helper 1 doubles r1; helper 2 charges r1 instructions and returns 7.
 */
import { assemble } from '../../src/vm/asm.js';
import type { ExecError } from '../../src/vm/errors.js';
import { Vm, type ExecOptions, type VmOptions } from '../../src/vm/vm.js';

export function both(src: string, opts: ExecOptions = {}, vmOpts: VmOptions = {}): { results: string[]; vm: Vm } {
  let jitVm: Vm | undefined;
  const results = (['interpreter', 'jit'] as const).map((engine) => {
    const vm = new Vm({ engine, ...vmOpts });
    vm.registerHelper(1, 'twice', (c) => c.u64(1) * 2n);
    vm.registerHelper(2, 'bill', (c) => {
      c.charge(c.num(1));
      return 7;
    });
    vm.load(assemble(src));
    if (engine === 'jit') jitVm = vm;
    const mem = opts.mem?.slice();
    try {
      const r = vm.exec({ ...opts, ...(mem ? { mem } : {}) });
      return `r0=${r.r0} n=${r.instructions} mem=${mem?.join(',')}`;
    } catch (e) {
      return `${(e as ExecError).code}: ${(e as Error).message} mem=${mem?.join(',')}`;
    }
  });
  return { results, vm: jitVm! };
}
