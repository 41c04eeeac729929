// Two ways for Wasm code to call a JS helper with five 64-bit arguments and get a 64-bit
// result, measured by bench/boundary.ts. Compiled on the fly by that benchmark.

@external("env", "helperI64")
declare function helperI64(a: i64, b: i64, c: i64, d: i64, e: i64): i64;

@external("env", "helperMem")
declare function helperMem(id: i32): i32;

const REGS: usize = 0x100;

/** i64 parameters and result: V8 turns each into a BigInt on the JS side. */
export function callI64(n: i32): i64 {
  let acc: i64 = 0;
  for (let i = 0; i < n; i++) acc += helperI64(acc, <i64>i, 3, 4, 5);
  return acc;
}

/** Our design: arguments and result in linear memory, read as 32-bit halves by JS. */
export function callMem(n: i32): i64 {
  let acc: i64 = 0;
  for (let i = 0; i < n; i++) {
    store<i64>(REGS + 8, acc);
    store<i64>(REGS + 16, <i64>i);
    store<i64>(REGS + 24, 3);
    store<i64>(REGS + 32, 4);
    store<i64>(REGS + 40, 5);
    helperMem(1);
    acc += load<i64>(REGS);
  }
  return acc;
}
