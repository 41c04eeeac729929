/**
 * The rounds that find a plugin's heap-cell summary (cells.ts): a fixpoint over the objects that
 * use the heap, each verified with its loads typed by the summary so far.
 *
 * It starts from blocks that hold only the allocator's 0 (plus the writes of the objects that do
 * not use the heap, `fixed`); each round adds what the objects wrote, until a round adds nothing:
 * then every load was typed with a summary of every value any object can write there, which is
 * what makes the types sound. Number ranges that still grow are widened to any number
 * (cells.ts), and narrowing rounds then try the summary of what was actually written (a
 * ring index stored `% RING` comes back to [0, RING - 1]): kept when it covers its own writes.
 *
 * An object is verified again only when bytes its loads (or its helpers' reads) consulted, at
 * their sites, received something new: its writes depend on nothing else. No fixpoint in `maxRounds` rounds:
 * the heap types nothing (opaqueCells).
 */
import { CellSummary, opaqueCells, writeSpan } from './cells.js';
import type { HeapCells, HeapWrite, Sites, VerifyResult } from './types.js';

/** Verifies object i with loads typed by `cells`, handing every heap write to `record`. */
export type CellRun = (i: number, cells: HeapCells, record: (w: HeapWrite) => void) => VerifyResult;

export interface CellRounds {
  verdicts: Map<number, VerifyResult>;
  cells: CellSummary;
  /** Rounds taken (a narrowing round counts); maxRounds + 1 when none converged. */
  rounds: number;
}

/** Bytes [lo, hi) of the blocks of `sites` an object consulted. */
interface Consulted {
  sites: readonly number[];
  lo: bigint;
  hi: bigint;
}

/** One object's last verification: its verdict, its writes, what it consulted (null: everything). */
interface Last {
  verdict: VerifyResult;
  writes: HeapWrite[];
  consulted: Consulted[] | null;
}

function runOne(run: CellRun, i: number, cells: HeapCells): Last {
  const writes: HeapWrite[] = [];
  let consulted: Consulted[] | null = [];
  const note = (s: Sites, lo: bigint, hi: bigint, all: boolean): void => {
    if (s === null) {
      if (all) consulted = null;
    } else consulted?.push({ sites: s, lo, hi });
  };
  const view: HeapCells = {
    // A read through unknown sites is a number whatever the summary holds.
    read: (s, lo, hi, width, mod, res) => (note(s, lo, hi + BigInt(width), false), cells.read(s, lo, hi, width, mod, res)),
    // A helper's read through unknown sites asks every byte of every site.
    holdsPointer: (s, lo, hi) => (note(s, lo, hi, true), cells.holdsPointer(s, lo, hi)),
  };
  const verdict = run(i, view, (w) => writes.push(w));
  return { verdict, writes, consulted };
}

/** Whether a write that grew the summary may change what `c` consulted. */
const touches = (w: HeapWrite, c: Consulted): boolean => {
  const [lo, hi] = writeSpan(w);
  return (w.site === -1 || c.sites.includes(w.site)) && lo < c.hi && hi > c.lo;
};

/** Rounds from the narrowed summary before giving up on it (and keeping the widened one). */
const NARROW_ROUNDS = 3;

export function cellRounds(users: readonly number[], fixed: readonly HeapWrite[], run: CellRun, maxRounds: number): CellRounds {
  const start = (): CellSummary => {
    const c = new CellSummary();
    for (const w of fixed) c.add(w);
    return c;
  };
  const last = new Map<number, Last>();
  const verdicts = (): Map<number, VerifyResult> => new Map([...last].map(([i, l]) => [i, l.verdict]));
  const cells = start();
  let grown: HeapWrite[] = [];
  for (let r = 1; r <= maxRounds; r++) {
    for (const i of users) {
      const l = last.get(i);
      const stale = l === undefined || l.consulted === null || grown.some((w) => l.consulted!.some((c) => touches(w, c)));
      if (stale) last.set(i, runOne(run, i, cells));
    }
    grown = [];
    for (const i of users) {
      for (const w of last.get(i)!.writes) {
        const changed = cells.add(w, r);
        if (changed) grown.push(changed);
      }
    }
    if (grown.length > 0) continue;
    if (!cells.widened) return { verdicts: verdicts(), cells, rounds: r };
    const narrow = start();
    for (const i of users) for (const w of last.get(i)!.writes) narrow.add(w);
    // Narrower types prove more, and code proven writes what it could not before (a copy whose
    // length was any number, now bounded): those writes join the narrow summary and the objects
    // run again, a few times, until they add nothing. Only a summary that covers every write of
    // the objects verified with it is kept.
    // As in the rounds above, an object runs again only when what it consulted grew.
    const again = new Map<number, Last>();
    let changed: HeapWrite[] = [];
    for (let n = 1; n <= NARROW_ROUNDS; n++) {
      for (const i of users) {
        const l = again.get(i);
        if (l === undefined || l.consulted === null || changed.some((w) => l.consulted!.some((c) => touches(w, c)))) again.set(i, runOne(run, i, narrow));
      }
      changed = [];
      for (const i of users) {
        for (const w of again.get(i)!.writes) {
          const c = narrow.add(w);
          if (c !== undefined) changed.push(c);
        }
      }
      if (changed.length === 0) return { verdicts: new Map([...again].map(([i, l]) => [i, l.verdict])), cells: narrow, rounds: r + n };
    }
    return { verdicts: verdicts(), cells, rounds: r };
  }
  const opaque = opaqueCells();
  return { verdicts: new Map(users.map((i) => [i, runOne(run, i, opaque).verdict])), cells: opaque, rounds: maxRounds + 1 };
}
