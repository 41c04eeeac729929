/** Helper calls checked against their signatures, and local calls analysed in their caller's context. */
import type { Insn } from '../isa.js';
import { checkBase, checkRegion } from './memory.js';
import { SCALAR_UNKNOWN, U32, isConst, scalarAlu, scalarConst, scalarU, type Scalar } from './scalar.js';
import {
  UNINIT, UNKNOWN, cloneState, emptyFrame, ptrValue, scalarValue, type PtrValue, type State, type Value,
} from './state.js';
import type { HelperSignature, InputKind } from './types.js';
import { type Pass, forgetId, poisonHeap, recordHeap, report } from './pass.js';
import { ALL_BYTES, SITE_SPAN, heapFill } from './cells.js';
import { allocSize, withinSize } from './sizes.js';
import { roomCovers } from './room.js';
import { clobberStack, stackInit, writeStack } from './stack.js';
import { analyzeFunction } from './analyze.js';
import { keptFact, keptValue, keptWrite, readFact, recordFacts, writeKeys } from './kept.js';

export function argScalar(v: Value): Scalar {
  return v.k === 'scalar' ? v.s : SCALAR_UNKNOWN;
}

export function helperStep(p: Pass, pc: number, sig: HelperSignature, st: State): void {
  const env = p.env;
  const name = sig.name;
  sig.args.forEach((spec, i) => {
    const r = i + 1;
    const v = st.regs[r]!;
    if (v.k === 'uninit') {
      report(p, 'UNINIT_REG', pc, `argument r${r} of ${name} is uninitialized`, st, true);
      return;
    }
    const leak = v.k === 'ptr' || (v.k === 'scalar' && v.tainted);
    switch (spec.kind) {
      case 'any':
        break;
      case 'scalar':
      case 'value':
        if (leak) report(p, 'POINTER_LEAK', pc, `${name} receives an address in r${r} as a ${spec.kind === 'value' ? 'value it keeps' : 'number'}`, st, false);
        break;
      case 'kept': {
        const { keys, hostReads } = writeKeys(env.kept, spec.store, st.regs[spec.keyArg]);
        const { fact, leak } = keptFact(v);
        // Maybe not kept for the plugin (an output the host reads): the rule of values.
        if (hostReads ? leak || v.k === 'ptr' : leak) report(p, 'POINTER_LEAK', pc, `${name} receives an address in r${r} as a value it keeps`, st, false);
        const bad = keptWrite(env.kept, keys, fact);
        if (bad !== undefined) report(p, 'HELPER_ARG', pc, `${name}: ${bad}`, st, true);
        break;
      }
      case 'handle':
        if (v.k === 'ptr') report(p, 'HELPER_ARG', pc, `${name} expects a ${spec.handle} handle in r${r}, got a pointer`, st, false);
        else if (v.k === 'handle' && v.what !== spec.handle && v.what !== 'object') {
          report(p, 'HELPER_ARG', pc, `${name} expects a ${spec.handle} handle in r${r}, got a ${v.what} handle`, st, true);
        }
        break;
      case 'heap_or_null':
        if (v.k === 'handle') report(p, 'HELPER_ARG', pc, `${name} expects a heap pointer in r${r}, got a ${v.what} handle`, st, true);
        // Definite when it cannot be NULL: the allocator (src/plugins/heap.ts) knows only the blocks
        // it handed out, so a stack or data address always fails, and the granted buffer is a block
        // the host frees itself when the call returns (src/plugins/instance.ts, run): freed early,
        // the host's own release would be the double free. Both policies refuse it.
        else if (v.k === 'ptr' && v.region !== 'heap') report(p, 'HELPER_ARG', pc, `${name} expects a heap pointer in r${r}, got a pointer to ${v.region}`, st, !v.nullable);
        else if (v.k === 'scalar' && !(isConst(v.s) && v.s.umin === 0n)) report(p, 'HELPER_ARG', pc, `${name} expects a heap pointer in r${r}, got a number`, st, false);
        break;
      case 'cstring':
      case 'mem': {
        const isStr = spec.kind === 'cstring';
        const write = spec.kind === 'mem' && spec.access === 'write';
        let len: Scalar = isStr ? scalarConst(1n) : spec.len !== undefined ? argScalar(st.regs[spec.len]!) : scalarConst(BigInt(spec.size ?? 1));
        if (spec.kind === 'mem' && spec.scale !== undefined) len = scalarAlu('mul', len, scalarConst(BigInt(spec.scale)), false);
        if (spec.kind === 'mem' && spec.cap !== undefined && len.umax > BigInt(spec.cap)) {
          const cap = BigInt(spec.cap);
          len = scalarU(len.umin < cap ? len.umin : cap, cap) ?? scalarConst(cap);
        }
        if (spec.kind === 'mem' && spec.unsized) {
          const keys = spec.keysArg !== undefined ? constantKeys(st.regs[spec.keysArg], env.rodata) : undefined;
          if (keys === undefined) report(p, 'HELPER_ARG', pc, `${name} argument r${r}: the host decides how many bytes it reads`, st, false);
          else len = scalarConst(BigInt(keys * (spec.size ?? 1)));
        }
        if (spec.kind === 'mem' && spec.maxLen !== undefined && len.umax > BigInt(spec.maxLen)) {
          report(p, 'HELPER_ARG', pc, `${name}: length r${spec.len} may be ${len.umax} (at most ${spec.maxLen})`, st, len.umin > BigInt(spec.maxLen));
        }
        if (len.umax === 0n) break;
        const nullable = spec.kind === 'mem' && spec.nullable;
        if (nullable && v.k === 'scalar' && isConst(v.s) && v.s.umin === 0n) break;
        const b = checkBase(v);
        if ('kind' in b) {
          // The host writes wherever the runtime check lets it (HelperCall.bytes), the stack and
          // any heap block included.
          if (write) {
            clobberStack(st);
            poisonHeap(p);
          }
          if (b.kind !== 'proven') report(p, b.code === 'HANDLE_DEREF' ? 'HELPER_ARG' : b.code === 'UNINIT_REG' ? 'UNINIT_REG' : 'HELPER_ARG', pc, `${name} argument r${r}: ${b.why}`, st, b.kind === 'definite' && len.umin > 0n);
          break;
        }
        // A length related to the buffer's (len <= buflen - k, k >= the offset) keeps the access inside it.
        const lenArg = spec.kind === 'mem' && spec.len !== undefined && spec.scale === undefined ? st.regs[spec.len] : undefined;
        const related = b.region === 'ctx' && lenArg?.k === 'scalar' && lenArg.lenSlack !== null && b.off.smin >= 0n && b.off.smax <= lenArg.lenSlack;
        // A block allocated with that length plus k bytes, from an offset of at most k (sizes.ts).
        const sized = lenArg !== undefined && withinSize(b, lenArg);
        const roomy = b.region === 'ctx' && lenArg !== undefined && roomCovers(b, lenArg);
        const verdict = related || sized || roomy ? { kind: 'proven' as const } : checkRegion(st, b, 0, len.umin, len.umax, write, env);
        if (verdict.kind !== 'proven') {
          if (write) {
            clobberStack(st);
            poisonHeap(p);
          }
          report(p, verdict.code === 'READ_ONLY' ? 'READ_ONLY' : 'HELPER_ARG', pc, `${name} argument r${r}${spec.kind === 'mem' && spec.len ? ` with length r${spec.len}` : ''}: ${verdict.why}`, st, verdict.kind === 'definite');
        }
        if (verdict.kind === 'proven' && b.region === 'heap') heapArg(p, pc, st, b, len, spec, name, r);
        if (spec.kind === 'mem' && spec.records !== undefined) {
          for (const x of recordFacts(b, len, spec.records, st.frames, env.frameSize)) {
            if (x.leak) report(p, 'POINTER_LEAK', pc, `${name} receives an address in the records at r${r} (values it keeps)`, st, false);
            const bad = keptWrite(env.kept, [x.key], x.fact);
            if (bad !== undefined) report(p, 'HELPER_ARG', pc, `${name}: ${bad}`, st, true);
          }
        }
        if (b.region === 'stack') {
          const lo = b.off.smin;
          const hi = b.off.smax;
          if (write) {
            if (isConst(len) && lo === hi) {
              const n = Number(len.umin);
              if (n <= env.frameSize) writeStack(st, b.index, lo, hi, n, undefined, env.frameSize);
            } else {
              // Which bytes the helper writes is not known: none becomes initialized, spilled values are lost.
              const last = hi + len.umax - 1n > -1n ? -1n : hi + len.umax - 1n;
              writeStack(st, b.index, lo, last > lo ? last : lo + 1n, 1, undefined, env.frameSize);
            }
          } else if (!isStr && !stackInit(st.frames[b.index]!, lo, hi, len.umax > BigInt(env.frameSize) ? BigInt(env.frameSize) : len.umax, env.frameSize)) {
            report(p, 'UNINIT_STACK', pc, `${name} reads stack bytes (r${r}) not written on every path`, st, isConst(b.off) && isConst(len));
          }
        } else if (isStr && !(b.region === 'data' && isConst(b.off) && env.rodata[b.index]?.indexOf(0, Number(b.off.umin)) !== -1 && env.rodata[b.index] !== undefined)) {
          if (b.region !== 'data' || !env.rodata[b.index]) report(p, 'HELPER_ARG', pc, `${name} argument r${r}: string not proven NUL-terminated inside its region`, st, false);
        }
        break;
      }
    }
  });
  let r0: Value = UNKNOWN;
  if (sig.ret.kind === 'input') {
    const key = st.regs[sig.ret.keyArg];
    const index = st.regs[sig.ret.indexArg];
    if (key?.k === 'scalar' && isConst(key.s) && key.s.umin === BigInt(sig.ret.key) && index?.k === 'scalar' && isConst(index.s) && index.s.umin < 64n) {
      const i = Number(index.s.umin);
      // Typed by the operation's contract, or kept for the plugin (process_frame's frame).
      r0 = env.inputs[i] !== undefined && env.inputs[i] !== 'scalar' ? inputValue(env.inputs[i], st) : keptRead(st, pc, readFact(env.kept, 'input', index));
    }
  } else if (sig.ret.kind === 'kept') {
    r0 = keptRead(st, pc, readFact(env.kept, sig.ret.store, st.regs[sig.ret.keyArg]));
  } else if (sig.ret.kind === 'scalar' && sig.ret.max !== undefined) {
    r0 = boundedReturn(BigInt(sig.ret.max), sig.ret.atMostArg === undefined ? undefined : st.regs[sig.ret.atMostArg]);
  } else if (sig.ret.kind === 'heap_or_null') {
    const size = argScalar(st.regs[sig.ret.sizeArg]!);
    const nid = pc + 1;
    forgetId(st, nid, true);
    // The call is the block's allocation site, as the host's allocator counts it (its pc).
    const site = pc < SITE_SPAN ? (env.heap?.siteBase ?? 0) + pc : -1;
    env.heap?.touch?.();
    // my_realloc's block starts as a copy of a block of another site: its fields are anything.
    if (sig.ret.copies) recordHeap(p, heapFill('poison', site, ...ALL_BYTES));
    const block = ptrValue('heap', 0, scalarConst(0n), { size: size.umin > U32 ? U32 : size.umin, nullable: true, nid, sites: site < 0 ? null : [site] });
    // At least as many bytes as asked (my_malloc and my_realloc alike), so its size relation too.
    const sizeOf = allocSize(st.regs[sig.ret.sizeArg]);
    r0 = sizeOf ? { ...block, sizeOf } : block;
  }
  for (let r = 1; r <= 5; r++) st.regs[r] = UNINIT;
  st.regs[0] = r0;
}

/**
 * A helper's proven access to heap memory: what it writes goes into the summary (0 for a
 * my_memset of 0 at a known place, anything otherwise), and what it reads must hold no address
 * (the host would learn it: pquic_message_send's bytes, my_memcpy's copy).
 */
function heapArg(p: Pass, pc: number, st: State, b: PtrValue, len: Scalar, spec: Extract<HelperSignature['args'][number], { kind: 'mem' | 'cstring' }>, name: string, r: number): void {
  const env = p.env;
  env.heap?.touch?.();
  const lo = b.off.smin;
  const hi = spec.kind === 'mem' && spec.unsized ? ALL_BYTES[1] : b.off.smax + len.umax;
  if (spec.kind === 'mem' && spec.access === 'write') {
    const fill = spec.fillArg !== undefined ? st.regs[spec.fillArg] : undefined;
    const zero = fill?.k === 'scalar' && isConst(fill.s) && (fill.s.umin & 0xffn) === 0n && isConst(b.off) && isConst(len) && !spec.unsized;
    // Through a pointer of unknown sites (and place in its block): any byte of any block.
    if (b.sites === null) recordHeap(p, heapFill('poison', -1, ...ALL_BYTES));
    else for (const site of b.sites) recordHeap(p, heapFill(zero ? 'zero' : 'poison', site, lo, zero ? lo + len.umin : hi));
  } else if (env.heap?.cells?.holdsPointer(b.sites, lo, hi)) {
    report(p, 'POINTER_LEAK', pc, `${name} reads heap memory (r${r}) that may hold an address`, st, false);
  }
}

/**
 * A result in [0, max] that the host also keeps at most `limit` (a length argument): below the
 * limit's upper bound, and below the context length by as much as the limit is (its lenSlack),
 * so that `p + n` stays where `p + limit` would.
 */
function boundedReturn(max: bigint, limit: Value | undefined): Value {
  const lim = limit?.k === 'scalar' && !limit.tainted ? limit : undefined;
  const hi = lim !== undefined && lim.s.umax < max ? lim.s.umax : max;
  const lenSlack = lim === undefined ? null : lim.isLen ? (lim.lenSlack !== null && lim.lenSlack > 0n ? lim.lenSlack : 0n) : lim.lenSlack;
  const v = scalarValue(scalarU(0n, hi) ?? SCALAR_UNKNOWN, { lenSlack });
  // At most the limit, so at most the room the limit is (room.ts).
  return lim?.room !== undefined ? { ...v, room: lim.room } : v;
}

/**
 * The number of comma-separated keys of a string the host will read, when it is a constant of
 * read-only data (its bytes cannot change before the call): pquic_qlog_values reads one value
 * per key.
 */
function constantKeys(v: Value | undefined, rodata: readonly (Uint8Array | undefined)[]): number | undefined {
  if (v?.k !== 'ptr' || v.region !== 'data' || !isConst(v.off)) return undefined;
  const bytes = rodata[v.index];
  const start = Number(v.off.umin);
  if (bytes === undefined || start < 0 || start >= bytes.length) return undefined;
  const end = bytes.indexOf(0, start);
  if (end < 0) return undefined;
  let n = 1;
  for (let i = start; i < end; i++) if (bytes[i] === 0x2c) n++;
  return n;
}

/** A kept value read back: a fresh allocation id for a heap pointer, as an allocator's result. */
function keptRead(st: State, pc: number, fact: ReturnType<typeof readFact>): Value {
  if (fact.kind === 'heap') forgetId(st, pc + 1, true);
  return keptValue(fact, pc + 1);
}

/** What an input of the running operation is, by its declared kind. */
export function inputValue(kind: InputKind | undefined, st: State): Value {
  switch (kind) {
    case 'buffer': return ptrValue('ctx', 0, scalarConst(0n), { offSlack: 0n });
    // off = len: `p < end` then bounds p (assume()), the end itself is never dereferenced.
    case 'buffer_end': return { ...ptrValue('ctx', 0, st.ctxLen, { offSlack: 0n }), isEnd: true };
    case 'buffer_len': return scalarValue(st.ctxLen, { isLen: true, lenSlack: 0n });
    default: return UNKNOWN;
  }
}

/** Values pointing into frames deeper than `depth` become plain (tainted) numbers: their frame is gone. */
export function dropDeadFrames(v: Value, depth: number): Value {
  return v.k === 'ptr' && v.region === 'stack' && v.index > depth ? scalarValue(SCALAR_UNKNOWN, { tainted: true }) : v;
}

export function localCallStep(p: Pass, pc: number, insn: Insn, st: State): State | undefined {
  const env = p.env;
  const target = pc + 1 + insn.imm;
  const fn = env.shape.funcOf[target]!;
  const callee: State = {
    regs: st.regs.map((v, r) => (r >= 1 && r <= 5 ? v : UNINIT)),
    frames: [...st.frames, emptyFrame(env.frameSize)],
    ctxLen: st.ctxLen,
  };
  callee.regs[10] = ptrValue('stack', p.depth + 1, scalarConst(0n));
  const exit = analyzeFunction(env, fn, callee, p.depth + 1, p.check);
  if (!exit) return undefined;
  const after = cloneState(st);
  after.regs[0] = dropDeadFrames(exit.regs[0]!, p.depth);
  for (let r = 1; r <= 5; r++) after.regs[r] = UNINIT;
  after.frames.length = 0;
  for (let i = 0; i <= p.depth; i++) {
    const f = exit.frames[i]!;
    after.frames.push(f.slots.some((v) => v?.k === 'ptr' && v.region === 'stack' && v.index > p.depth)
      ? { slots: f.slots.map((v) => (v === undefined ? v : dropDeadFrames(v, p.depth))), masks: f.masks } : f);
  }
  after.ctxLen = exit.ctxLen;
  if (exit.regs[0]!.k === 'ptr' && (exit.regs[0] as PtrValue).region === 'stack' && (exit.regs[0] as PtrValue).index > p.depth) {
    report(p, 'POINTER_LEAK', pc, 'the called function returns a pointer into its own stack frame', st, false);
  }
  return after;
}
