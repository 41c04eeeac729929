/**
 * The verifier's memory proofs, as the JIT takes them (issue 6: "accesses proven safe lose their
 * runtime checks in the JIT"). A load, store or atomic whose slot the verifier lists in
 * `provenAccesses` lies inside its region for every value its address can take there, so the
 * code reads or writes memory directly: no region compare, no scan (codegen.ts). Every other
 * access keeps exactly the check it has without proofs.
 *
 * A proof holds only for runs that honour what the verifier assumed at the program's entry
 * (VerifyResult.assumed):
 *  - `mem`: r1 is the address of a buffer of r2 bytes, r2 within the assumed length bounds.
 *    The Vm knows this at each exec (a granted `mem` of that length: r1 = its address, r2 = its
 *    length) and runs the module without proofs otherwise: with `args`, or an empty `mem`
 *    (r1 = 0 where the verifier took r1 for a valid, non-NULL pointer, and may have pruned the
 *    branch that tests it), or a length outside the bounds (`proofsHold`).
 *  - `pluglet`: r1 is an opaque handle the verifier never assumes a value of (no branch on it is
 *    pruned) and r2..r5 are uninitialised (reading them is refused), so any entry registers do.
 *    The granted input buffer of a contract (src/plugins/signatures.ts) is the plugin runtime's
 *    to honour: instance.ts grants exactly those buffers, with those lengths, into the heap.
 *  - the frame size: proofs about the stack say `r10 + [-frameSize, 0)`; an image linked with
 *    other frames is refused at compile time.
 * Stack, data-section and heap-block proofs need nothing else at run time: every frame of every
 * depth lies in the stack region, each section in its (read-only or writable) area, each block
 * from the allocator in the heap region.
 */
import { VmError } from '../errors.js';
import type { CtxKind, VerifyResult } from '../verifier/types.js';

export interface ProgramProofs {
  /** Slots of the program (not absolute record indices) whose access is proven. */
  proven: ReadonlySet<number>;
  ctx: CtxKind;
  bufferLen: readonly [number, number];
  frameSize: number;
}

/** Proofs by program index of a linked image; undefined entries keep every check. */
export type JitProofs = readonly (ProgramProofs | undefined)[];

/** The proofs of an accepted verification; none for a rejected one. */
export function programProofs(r: VerifyResult | undefined): ProgramProofs | undefined {
  if (!r || !r.ok || r.provenAccesses.size === 0) return undefined;
  return { proven: r.provenAccesses, ctx: r.assumed.ctx, bufferLen: r.assumed.bufferLen, frameSize: r.assumed.frameSize };
}

/** The cache key of a set of proofs: two modules are interchangeable only for equal keys. */
export function proofsKey(proofs: JitProofs | undefined): string {
  if (!proofs) return '';
  let key = '';
  proofs.forEach((p, i) => {
    if (!p || p.proven.size === 0) return;
    const slots = [...p.proven].sort((a, b) => a - b);
    key += `${i}:${p.ctx}:${p.bufferLen[0]}-${p.bufferLen[1]}:${p.frameSize}:${slots.join(',')};`;
  });
  return key;
}

/** Throws when proofs do not fit the image they are applied to (a mix-up of the caller's). */
export function checkProofs(proofs: JitProofs, programs: { length: number }[], frameSize: number): void {
  if (proofs.length > programs.length) throw new VmError('VM_STATE', `proofs for ${proofs.length} programs, image has ${programs.length}`);
  proofs.forEach((p, i) => {
    if (!p) return;
    if (p.frameSize !== frameSize) throw new VmError('VM_STATE', `program ${i} was verified with ${p.frameSize}-byte frames, image has ${frameSize}`);
    for (const s of p.proven) {
      if (!Number.isInteger(s) || s < 0 || s >= programs[i]!.length) throw new VmError('VM_STATE', `proof for slot ${s} outside program ${i}`);
    }
  });
}

/**
 * Whether a run may use the program's proofs: `memLen` is the granted buffer's length, or -1
 * for a run with plain arguments.
 */
export function proofsHold(p: ProgramProofs, memLen: number): boolean {
  if (p.ctx === 'pluglet') return true;
  return memLen > 0 && memLen >= p.bufferLen[0] && memLen <= p.bufferLen[1];
}
