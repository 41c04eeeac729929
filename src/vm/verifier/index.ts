/**
 * The static verifier: proves eBPF plugin bytecode safe before it runs (issue 6), in the spirit
 * of PREVAIL and the Linux verifier (reference/ebpf.md §5) for this VM's memory model
 * (src/vm/link.ts: stack frames, data sections, heap, granted buffers).
 *
 *   structure.ts  Level 0: fields, jumps, functions, calls, dead code
 *   analyze.ts    abstract interpretation: types, ranges, memory, helpers, pointer leaks
 *   loops.ts      termination of loops (bounded induction variables)
 *   memory.ts     region bounds; scalar.ts/tnum.ts/state.ts the abstract domain
 *
 * Never throws on any input: every outcome is a VerifyResult.
 */
import { disassembleInsn } from '../disasm.js';
import { CALL_HELPER, OPCODES, OP_CALL, decodeInsn, encodeInsn, insnClass, BPF_JMP, BPF_JMP32 } from '../isa.js';
import { MAX_CALL_DEPTH, STACK_FRAME_SIZE } from '../layout.js';
import type { ProgramImage } from '../program.js';
import { analyzeFunction } from './analyze.js';
import { TooComplex, type Env } from './pass.js';
import { scalarConst, scalarU } from './scalar.js';
import { UNINIT, emptyFrame, ptrValue, scalarValue, type State, type Value } from './state.js';
import { StructureError, checkStructure } from './structure.js';
import type { Assumptions, Policy, Rejection, VerifyOptions, VerifyResult } from './types.js';

export type * from './types.js';

/** Default work limit: the kernel's BPF_COMPLEXITY_LIMIT_INSNS. */
export const MAX_STEPS = 1_000_000;
/**
 * strict: the largest iteration bound accepted for one loop. Termination is what strict proves;
 * time stays bounded by the fuel. 2^32 admits loops over any buffer length (a 32-bit quantity)
 * and still refuses counters that can run through 64-bit ranges.
 */
export const MAX_LOOP_ITERATIONS = 2 ** 32;

function rejected(policy: Policy, assumed: Assumptions, r: Rejection, steps = 0): VerifyResult {
  return { ok: false, policy, errors: [r], provenAccesses: new Set(), unboundedLoops: [], steps, assumed };
}

/** Constants the program compares with: widening stops there before giving up on a bound. */
function thresholds(code: Uint8Array, n: number): bigint[] {
  const set = new Set<bigint>([0n, 1n]);
  for (let pc = 0; pc < n && set.size < 256; pc++) {
    const insn = decodeInsn(code, pc);
    const cls = insnClass(insn.opcode);
    if ((cls === BPF_JMP || cls === BPF_JMP32) && OPCODES.get(insn.opcode)?.kind === 'jcond' && (insn.opcode & 0x08) === 0) {
      const v = BigInt(insn.imm);
      for (const x of [v - 1n, v, v + 1n]) set.add(x);
    }
  }
  return [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function verifyProgram(image: ProgramImage, opts: VerifyOptions): VerifyResult {
  const policy = opts.policy ?? 'checked';
  const frameSize = opts.frameSize ?? STACK_FRAME_SIZE;
  // Buffers are below 4 GiB (the VM's memory is 32-bit).
  const [minLen, maxLen] = opts.bufferLen ?? [0, 2 ** 32 - 1];
  const assumed: Assumptions = { ctx: opts.ctx ?? 'pluglet', bufferLen: [minLen, maxLen], frameSize };
  const code = image.code.slice();
  const disasm = (pc: number): string => {
    try {
      return disassembleInsn(code, pc, { helperName: (id) => opts.helper(id)?.name });
    } catch {
      return '?';
    }
  };
  const bare = (code: Rejection['code'], pc: number, reason: string): Rejection => ({ code, pc, insn: pc * 8 < image.code.length ? disasm(pc) : '', reason, state: '', trace: [] });

  // Helpers called by name (ELF), resolved as the linker does.
  for (const r of image.helperRelocs) {
    const id = opts.helperId?.(r.name);
    if (id === undefined || !opts.helper(id)) return rejected(policy, assumed, bare('UNKNOWN_HELPER', r.pc, `call to unknown helper '${r.name}'`));
    if (r.pc < 0 || (r.pc + 1) * 8 > code.length) return rejected(policy, assumed, bare('BAD_PROGRAM', 0, `helper relocation at PC ${r.pc} is outside the code`));
    const insn = decodeInsn(code, r.pc);
    if (insn.opcode !== OP_CALL) return rejected(policy, assumed, bare('BAD_PROGRAM', r.pc, `helper relocation at PC ${r.pc} is not on a call`));
    encodeInsn({ ...insn, src: CALL_HELPER, imm: id }, code, r.pc);
  }

  let env: Env | undefined;
  try {
    const starts = [...new Set(image.functions.map((f) => f.pc))].sort((a, b) => a - b);
    if (image.entry < 0 || image.entry * 8 >= code.length) return rejected(policy, assumed, bare('BAD_PROGRAM', 0, `entry ${image.entry} is outside the program`));
    const shape = checkStructure(code, starts, image.entry, (id) => opts.helper(id) !== undefined, opts.maxCallDepth ?? MAX_CALL_DEPTH);
    if (shape.functions[shape.funcOf[image.entry]!]!.start !== image.entry) {
      return rejected(policy, assumed, bare('BAD_PROGRAM', image.entry, `entry ${image.entry} is not the start of a function`));
    }
    const sectionPtrs = new Map<string, { target: number; addend: number }>();
    for (const r of image.sectionRelocs) if (r.width === 8) sectionPtrs.set(`${r.section}:${r.offset}`, { target: r.target, addend: r.addend });
    env = {
      shape, code, policy, helper: opts.helper, frameSize, inputs: opts.inputs ?? [], returnsBufferPointer: opts.returnsBufferPointer ?? false, kept: opts.kept, heap: opts.heap,
      sections: image.sections.map((s) => ({ name: s.name, size: s.bytes.length, writable: s.writable })),
      relocAt: new Map(image.dataRelocs.map((r) => [r.pc, { section: r.section, offset: r.offset }])),
      rodata: image.sections.map((s) => (s.writable ? undefined : s.bytes)),
      sectionPtrs,
      thresholds: thresholds(code, shape.n),
      maxLoopIterations: opts.maxLoopIterations ?? MAX_LOOP_ITERATIONS,
      maxSteps: opts.maxSteps ?? MAX_STEPS,
      steps: 0,
      errors: new Map(),
      proven: new Map(),
      unbounded: new Set(),
      disasm,
      orders: new Map(),
      issued: new Uint8Array(shape.n + 2),
      imms: new Array(shape.n),
    };
    const regs: Value[] = new Array<Value>(11).fill(UNINIT);
    regs[10] = ptrValue('stack', 0, scalarConst(0n));
    const len = scalarU(BigInt(minLen), BigInt(maxLen)) ?? scalarU(0n, (1n << 32n) - 1n)!;
    const granted = (opts.inputs ?? []).some((k) => k !== 'scalar');
    if ((opts.ctx ?? 'pluglet') === 'pluglet') regs[1] = { k: 'handle', what: 'cnx' };
    else {
      regs[1] = ptrValue('ctx', 0, scalarConst(0n), { offSlack: 0n });
      regs[2] = scalarValue(len, { isLen: true, lenSlack: 0n });
    }
    // Pluglets have no context buffer: its length is 0 (and not printed).
    const entry: State = { regs, frames: [emptyFrame(frameSize)], ctxLen: regs[2]!.k === 'uninit' && !granted ? scalarConst(0n) : len };
    analyzeFunction(env, shape.funcOf[image.entry]!, entry, 0, true);
  } catch (e) {
    if (e instanceof StructureError) return rejected(policy, assumed, bare(e.code, e.pc, e.message));
    if (e instanceof TooComplex) return rejected(policy, assumed, bare('TOO_COMPLEX', 0, `program too complex: more than ${env?.maxSteps ?? MAX_STEPS} instructions analysed`), env?.steps ?? 0);
    if (e instanceof RangeError) return rejected(policy, assumed, bare('TOO_COMPLEX', 0, `program too complex (${e.message})`), env?.steps ?? 0);
    // Fail closed: whatever went wrong, the program does not run.
    return rejected(policy, assumed, bare('INTERNAL', 0, `verifier error: ${(e as Error).message ?? String(e)}`), env?.steps ?? 0);
  }
  const errors = [...env.errors.values()].sort((a, b) => a.pc - b.pc);
  const provenAccesses = new Set<number>();
  for (const [pc, ok] of env.proven) if (ok) provenAccesses.add(pc);
  return { ok: errors.length === 0, policy, errors, provenAccesses, unboundedLoops: [...env.unbounded].sort((a, b) => a - b), steps: env.steps, assumed };
}

/** One line per rejection, PREVAIL-style "<pc>: <reason>", with the instruction and the state. */
export function formatRejection(r: Rejection, opts: { trace?: boolean } = {}): string {
  const lines = [`PC ${r.pc}: ${r.insn}: ${r.reason} [${r.code}]`];
  if (r.state) lines.push(`  state: ${r.state}`);
  if (opts.trace && r.trace.length > 1) {
    lines.push('  path:');
    for (const t of r.trace) lines.push(`    ${String(t.pc).padStart(5)}: ${t.insn.padEnd(28)} ${t.state}`);
  }
  return lines.join('\n');
}
