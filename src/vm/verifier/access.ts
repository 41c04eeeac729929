/** Loads, stores and atomics (RFC 9669 §5): the memory proof of each access, and what it reads or writes. */
import { ATOMIC_CMPXCHG, ATOMIC_FETCH, type Insn } from '../isa.js';
import { checkBase, checkRegion } from './memory.js';
import {
  SCALAR_UNKNOWN, isConst, scalarConst, scalarOfWidth, scalarSext, scalarTruncBytes, toSigned,
} from './scalar.js';
import { ptrValue, scalarValue, type PtrValue, type State, type Value } from './state.js';
import { type Env, type Pass, forgetId, freshId, poisonHeap, readReg, recordHeap, report, reportVerdict } from './pass.js';
import { cellFact, cellValue, heapStore, residue } from './cells.js';
import { loadWithin, relateLength, storeFact } from './len-fields.js';
import { KEPT_NUMBER } from './kept.js';
import { clobberStack, readStack, writeStack } from './stack.js';

export function accessStep(p: Pass, pc: number, insn: Insn, st: State, kind: 'ldx' | 'ldxs' | 'st' | 'stx' | 'atomic', width: number): void {
  const env = p.env;
  const baseReg = kind === 'ldx' || kind === 'ldxs' ? insn.src : insn.dst;
  const write = kind !== 'ldx' && kind !== 'ldxs';
  let stored: Value | undefined;
  if (kind === 'stx' || kind === 'atomic') stored = readReg(p, pc, st, insn.src);
  if (kind === 'stx' && width === 8 && insn.dst === 10) stored = linkSpill(env, st, pc, insn.src, stored!);
  if (kind === 'st') stored = scalarValue(scalarConst(BigInt(insn.imm)));
  const base = baseReg === 10 ? st.regs[10]! : readReg(p, pc, st, baseReg);
  const b = checkBase(base);
  let proven = false;
  let loaded: Value = scalarValue(scalarOfWidth(width));
  /** A length field of the base's block was read (len-fields.ts). */
  let lengthWithin: bigint | undefined;
  if ('kind' in b) {
    reportVerdict(p, pc, b, st, `${write ? 'store' : 'load'} of ${width} bytes: `);
  } else {
    const v = checkRegion(st, b, insn.off, BigInt(width), BigInt(width), write, env);
    // The message only for an access that is not proven (most are: no string per step).
    if (v.kind !== 'proven') reportVerdict(p, pc, v, st, `${write ? 'store' : 'load'} of ${width} bytes at ${insn.off >= 0 ? '+' : ''}${insn.off}: `);
    proven = v.kind === 'proven';
    if (b.region === 'heap') env.heap?.touch?.();
    if (b.region === 'stack' && (!write || kind === 'atomic')) {
      const r = readStack(st, b, insn.off, width, env.frameSize);
      if (r === 'uninit') {
        const constOff = isConst(b.off);
        report(p, 'UNINIT_STACK', pc, `read of ${width} bytes of the stack at ${constOff ? `fp${toSigned(b.off.umin) + BigInt(insn.off)}` : 'a variable offset'} not written on every path`, st, constOff);
      } else loaded = kind === 'ldx' && width === 8 ? pinSlot(env, st, pc, b, insn.off, r) : r;
    } else if (b.region === 'data' && !write && isConst(b.off)) {
      const off = Number(b.off.umin) + insn.off;
      const bytes = env.rodata[b.index];
      // Only a read-only section still holds its relocated pointer when it is read: in a writable
      // one the program or a helper may have stored any number over it, so what comes back is a
      // number (a pointer believed there would let the JIT drop the checks of forged addresses).
      const ptr = width === 8 && bytes ? env.sectionPtrs.get(`${b.index}:${off}`) : undefined;
      if (ptr) loaded = ptrValue('data', ptr.target, scalarConst(BigInt(ptr.addend)));
      else if (bytes && off >= 0 && off + width <= bytes.length) {
        let x = 0n;
        for (let i = width - 1; i >= 0; i--) x = (x << 8n) | BigInt(bytes[off + i]!);
        loaded = scalarValue(scalarConst(x));
      }
    } else if (b.region === 'heap' && !write && proven && env.heap?.cells) {
      // Typed by the plugin-wide summary of what this site's blocks hold (cells.ts).
      const { mod, res } = residue(b.off, insn.off);
      const f = env.heap.cells.read(b.sites, b.off.smin + BigInt(insn.off), b.off.smax + BigInt(insn.off), width, mod, res);
      if (f.kind === 'heap') forgetId(st, pc + 1, true);
      loaded = cellValue(f, width, pc + 1);
      lengthWithin = kind === 'ldx' ? loadWithin(f, b, width) : undefined;
    }
    // A heap pointer stored whole into a field of a block it is recorded in the summary, which
    // the helpers reading heap memory are checked against (no address reaches the host).
    const kept = write && kind !== 'atomic' && b.region === 'heap' && proven && env.heap !== undefined && stored !== undefined && cellFact(stored, width).kind === 'heap';
    if (write && b.region === 'heap' && proven) for (const w of heapStore(b, insn.off, width, kind === 'atomic' || !stored ? KEPT_NUMBER : storeFact(b, stored, width))) recordHeap(p, w);
    if (write && !kept && b.region !== 'stack' && stored && (stored.k === 'ptr' || (stored.k === 'scalar' && stored.tainted))) {
      // PREVAIL's ValidStore: outside the stack only numbers are stored, or addresses reach memory
      // the host reads (frames, reserve_frames slots, metadata) as plain values.
      report(p, 'POINTER_LEAK', pc, `store of a pointer into ${b.region === 'data' ? 'a data section' : b.region === 'heap' ? 'the heap' : 'the context'}`, st, false);
    }
    if (write && b.region === 'stack') {
      const lo = b.off.smin + BigInt(insn.off);
      const hi = b.off.smax + BigInt(insn.off);
      writeStack(st, b.index, lo, hi, width, kind === 'atomic' ? undefined : width === 8 ? stored : undefined, env.frameSize);
    }
    // After the access the base is known to be non-NULL (a NULL one faulted).
  }
  // An unproven write may land anywhere its runtime check lets it, the stack and any heap block included.
  if (write && !proven) {
    clobberStack(st);
    poisonHeap(p);
  }
  if (base.k === 'ptr' && base.nullable && baseReg !== 10) st.regs[baseReg] = { ...base, nullable: false };
  if (p.check) env.proven.set(pc, (env.proven.get(pc) ?? true) && proven);
  // A whole spilled value comes back as it went (its relations and id included).
  if (kind === 'ldx') st.regs[insn.dst] = loaded.k === 'scalar' && width < 8 ? scalarValue(scalarTruncBytes(loaded.s, width), { tainted: loaded.tainted }) : loaded;
  else if (kind === 'ldxs') {
    const tainted = loaded.k !== 'scalar' || loaded.tainted;
    st.regs[insn.dst] = scalarValue(loaded.k === 'scalar' ? scalarSext(scalarTruncBytes(loaded.s, width), width * 8) : SCALAR_UNKNOWN, { tainted });
  }
  else if (kind === 'atomic') {
    if (stored && stored.k !== 'scalar') report(p, 'POINTER_LEAK', pc, 'atomic operation with a pointer operand', st, false);
    if (insn.imm === ATOMIC_CMPXCHG) {
      readReg(p, pc, st, 0);
      st.regs[0] = scalarValue(scalarOfWidth(width));
    } else if (insn.imm & ATOMIC_FETCH) st.regs[insn.src] = scalarValue(scalarOfWidth(width));
  }
  if (lengthWithin !== undefined) {
    freshId(env, st, pc + 1);
    relateLength(st, baseReg, insn.dst, pc + 1, lengthWithin);
  }
}

/**
 * An 8-byte number loaded whole from stack bytes no value describes yet (a helper wrote them:
 * varint_decode's `&len`) becomes that slot's value, under a fresh id the register shares: the
 * slot holds those very bytes until the next write to it (writeStack, clobberStack), so a
 * comparison on the register bounds what later loads of the slot get (datagram's `len`, compared
 * with the room left, then read again for my_malloc and my_memcpy), as a spilled copy would.
 * The same holds for a slot whose number lost its id where paths met (a counter spilled as 0
 * before a loop and as `ne + 1` in it): clang tests one load of it and indexes with another.
 */
function pinSlot(env: Env, st: State, pc: number, b: PtrValue, extra: number, v: Value): Value {
  const frameSize = env.frameSize;
  if (v.k !== 'scalar' || v.tainted || v.id !== 0 || !isConst(b.off)) return v;
  const at = toSigned(b.off.umin) + BigInt(extra);
  const k = Number(at) + frameSize;
  if ((k & 7) !== 0 || k < 0 || k + 8 > frameSize) return v;
  const slot = st.frames[b.index]!.slots[k >> 3];
  // A described slot is pinned only when the load returned its value itself (not bytes of it).
  if (slot !== undefined && slot !== v) return v;
  if (slot !== undefined && isConst(v.s)) return v;
  const id = pc + 1;
  freshId(env, st, id);
  const pinned = { ...v, id };
  writeStack(st, b.index, at, at, 8, pinned, frameSize);
  return pinned;
}

/**
 * A number spilled whole to the stack: register and slot are copies, so they share an id (a
 * fresh one when the number has none), as a register copy does (alu.ts): a comparison on either
 * then bounds both (the Linux verifier keeps the id of a spilled scalar the same way).
 */
function linkSpill(env: Env, st: State, pc: number, src: number, v: Value): Value {
  if (v.k !== 'scalar' || v.tainted || v.id !== 0 || isConst(v.s)) return v;
  const id = pc + 1;
  freshId(env, st, id);
  const linked = scalarValue(v.s, { id, isLen: v.isLen, lenSlack: v.lenSlack, lenDiv: v.lenDiv, sum: v.sum, room: v.room, delta: v.delta, quot: v.quot });
  st.regs[src] = linked;
  return linked;
}
