/**
 * Loads the interpreter core (build/interpreter.wasm, built by asc from assembly/interpreter.ts).
 * The module is compiled once per process; each Vm instantiates it over its own memory.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { VmError } from './errors.js';

// Every entry point lives two directories below the package root (src/vm/, dist/cli/, the
// temporary bundle dir of tools/run-ts.mjs), so this one relative URL finds build/.
const WASM_URL = new URL('../../build/interpreter.wasm', import.meta.url);

let compiled: WebAssembly.Module | undefined;

export function coreModule(): WebAssembly.Module {
  if (compiled) return compiled;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(fileURLToPath(WASM_URL));
  } catch (e) {
    throw new VmError('VM_STATE', `interpreter core not found at ${fileURLToPath(WASM_URL)}: run "npm run build" (${(e as Error).message})`);
  }
  compiled = new WebAssembly.Module(bytes);
  return compiled;
}

export interface CoreExports {
  run(entry: number): number;
  /** Continues at absolute pc `entry` with `calls` frames in FRAMES (the JIT's fuel hand-over). */
  resume(entry: number, calls: number): number;
}
