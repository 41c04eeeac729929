import { describe, expect, it } from 'vitest';
import { Code, I32, I64, Op, encodeModule, type ModuleSpec } from '../../src/vm/jit/wasm.js';

/** A module of one exported `() -> i32` per name, each returning its index plus what `prologue` adds. */
function spec(names: string[], withPrologue: boolean): ModuleSpec {
  const m: ModuleSpec = {
    types: [{ params: [], results: [I32] }],
    imports: [],
    memory: { module: 'env', name: 'memory' },
    functions: [],
    exports: [],
  };
  names.forEach((name, k) => {
    // Local 0 (i64) unused, local 1 (i32) twice: runs of locals of both types.
    const body = new Code(4).get(1).i32Const(k).op(Op.i32_add);
    const prologue = withPrologue ? new Code(4).i32Const(1000).set(1) : undefined;
    m.functions.push({ type: 0, locals: [I64, I32, I32], body, prologue });
    m.exports.push({ name, func: k });
  });
  return m;
}

function run(names: string[], withPrologue: boolean): Record<string, number> {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(encodeModule(spec(names, withPrologue))), { env: { memory } });
  const out: Record<string, number> = {};
  for (const n of names) out[n] = (inst.exports[n] as () => number)();
  return out;
}

describe('JIT Wasm encoder (wasm.ts)', () => {
  it('encodes ASCII and non-ASCII export names as UTF-8', () => {
    const names = ['p0', 'héllo', '出口', 'x'.repeat(200)];
    expect(run(names, false)).toEqual({ p0: 0, héllo: 1, 出口: 2, ['x'.repeat(200)]: 3 });
  });

  it('puts a prologue before its body, and sizes bodies of any length', () => {
    expect(run(['a', 'b'], true)).toEqual({ a: 1000, b: 1001 });
    expect(run(['a', 'b'], false)).toEqual({ a: 0, b: 1 });
    // A body past 127 bytes needs a two-byte size.
    const big = spec(['big'], true);
    const body = big.functions[0]!.body as Code;
    for (let i = 0; i < 100; i++) body.i32Const(1).op(Op.i32_add);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const inst = new WebAssembly.Instance(new WebAssembly.Module(encodeModule(big)), { env: { memory } });
    expect((inst.exports.big as () => number)()).toBe(1100);
  });
});
