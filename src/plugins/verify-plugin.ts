/**
 * Verifies every pluglet object of a plugin with the plugin-wide summaries of its kept slots
 * (src/vm/verifier/kept.ts: what the host keeps for the plugin, metadata and the frame structure
 * parse_frame outputs, and gives back to other pluglets of the same instance) and of its heap
 * fields (src/vm/verifier/cells.ts: what the blocks of each allocation site hold).
 *
 * Kept slots, two passes. The first verifies each object with every kept value read back as a
 * number and records what each slot receives: a heap block of at least S bytes, NULL, or
 * anything else. The join over all pluglets is the summary. The second verifies each object
 * again with the values read back typed by the summary, and refuses any write the summary does
 * not cover (a value read back typed may be passed on to another slot): so the types the readers
 * were verified with hold for every value any pluglet of the plugin can store, whatever order
 * they run in.
 *
 * Heap fields, a fixpoint inside the second pass (src/vm/verifier/cell-rounds.ts). It starts
 * from blocks that hold only the allocator's 0; each round verifies the objects that use the heap
 * with loads typed by the summary and adds what they write, until a round adds nothing: every
 * load was then typed with a summary of every value any pluglet can write there. Objects that
 * never use the heap keep their first verdict, and their writes (only through unknown pointers:
 * anywhere) are in every round's summary.
 */
import { readFileSync } from 'node:fs';
import { loadElf } from '../vm/elf.js';
import type { ProgramImage } from '../vm/program.js';
import { joinKept, reservedKey } from '../vm/verifier/kept.js';
import { SITE_SPAN, opaqueCells, poisonsAll, type CellSummary } from '../vm/verifier/cells.js';
import { cellRounds } from '../vm/verifier/cell-rounds.js';
import { verifyProgram, type HeapOptions, type HeapWrite, type KeptFact, type KeptOptions, type Policy, type VerifyResult } from '../vm/verifier/index.js';
import { pluginHelpers } from './helper-signatures.js';
import { MANIFEST_NO_PARAM, type Manifest, type PlugletEntry } from './manifest.js';
import { externContract, inputContract } from './signatures.js';

export interface PluginVerification {
  /** The verdict on each object, by index. */
  results: VerifyResult[];
  /** What each kept slot may hold, over every pluglet (keys as in KeptOptions.summary). */
  summary: ReadonlyMap<string, KeptFact>;
  /** What heap fields hold, by allocation site (object i's sites are i * SITE_SPAN + pc). */
  cells: CellSummary;
  /** Rounds the heap fixpoint took (0: none needed or the heap types nothing; MAX_ROUNDS + 1: none found). */
  rounds: number;
}

/** Rounds of the heap-field fixpoint before giving up on typing the heap. */
export const MAX_ROUNDS = 8;

const frameKey = (type: number): string => `frame:0x${type.toString(16)}`;

/**
 * Whether the plugin replaces write_frame[type]. Only then may it reserve frames of that type
 * (src/plugins/instance.ts, reserve_frames), and since replace is exclusive every frame_ctx that
 * write_frame[type] and notify_frame[type] receive is one this plugin reserved (the host refuses
 * any other: instance.ts, frameContext).
 */
export function writesFrame(all: readonly PlugletEntry[], type: number): boolean {
  return all.some((e) => e.protoop === 'write_frame' && e.param === type && e.anchor === 'replace');
}

/**
 * How one object's pluglets meet the kept slots, from the operations they implement (an object
 * may serve several lines of the manifest). parse_frame's output 0 is the frame the host hands
 * back to process_frame of the same type (src/plugins/instance.ts, inputsFor/resultFor). A
 * process_frame input is typed only when this plugin replaces parse_frame for every type the
 * object serves: replace is exclusive (src/quic/protoop/table.ts), so every frame of that type
 * on the connection was parsed by this plugin instance (or is 0, nothing output).
 */
function keptFor(entries: readonly PlugletEntry[], all: readonly PlugletEntry[]): Pick<KeptOptions, 'outputKeys' | 'inputKeys'> {
  const ops = new Set(entries.map((e) => e.protoop));
  if (ops.size !== 1) return {};
  const params = entries.map((e) => e.param);
  if (params.includes(MANIFEST_NO_PARAM)) return {};
  const op = [...ops][0]!;
  if (op === 'parse_frame') return { outputKeys: [params.map(frameKey)] };
  if (op === 'process_frame') {
    const parsed = (t: number): boolean => all.some((e) => e.protoop === 'parse_frame' && e.param === t && e.anchor === 'replace');
    if (params.every(parsed)) return { inputKeys: [params.map(frameKey)] };
  }
  // write_frame (bytes, bytes_max, frame_ctx) and notify_frame (frame_ctx, received): the
  // frame_ctx of a reservation, kept under its type or, reserved with a type the verifier could
  // not tell, under any.
  const reserved = [...params.map((t) => reservedKey(BigInt(t))), reservedKey(undefined)];
  if ((op === 'write_frame' || op === 'notify_frame') && params.every((t) => writesFrame(all, t))) {
    return { inputKeys: op === 'write_frame' ? [undefined, undefined, reserved] : [reserved] };
  }
  return {};
}

/** Verifies the objects of one plugin: `pluglets[i].program` is the index of its object in `programs`. */
export function verifyPlugin(programs: readonly ProgramImage[], pluglets: readonly { entry: PlugletEntry; program: number }[], policy: Policy): PluginVerification {
  const all = pluglets.map((p) => p.entry);
  const setup = programs.map((_, i) => {
    const entries = pluglets.filter((p) => p.program === i).map((p) => p.entry);
    const ops = new Set(entries.map((e) => e.protoop));
    // The inputs' contract, when every pluglet of this object implements one operation.
    // An extern operation's contract holds only for its extern pluglets (the application's calls,
    // checked by the host: extern-inputs.ts).
    const op = ops.size === 1 ? [...ops][0]! : undefined;
    const contract = op === undefined ? undefined : entries.every((e) => e.anchor === 'extern') ? externContract(op) : inputContract(op);
    return { contract, kept: keptFor(entries, all) };
  });
  const summary = new Map<string, KeptFact>();
  const record = (key: string, fact: KeptFact): void => {
    const had = summary.get(key);
    summary.set(key, had === undefined ? fact : joinKept(had, fact));
  };
  const run = (i: number, kept: KeptOptions, heap: Omit<HeapOptions, 'siteBase'>): VerifyResult =>
    verifyProgram(programs[i]!, { ...pluginHelpers, policy, ctx: 'pluglet', ...(setup[i]!.contract ?? {}), kept, heap: { siteBase: i * SITE_SPAN, ...heap } });
  const reads = programs.map(() => new Set<string>());
  const touched = programs.map(() => false);
  const writes = programs.map((): HeapWrite[] => []);
  const first = programs.map((_, i) => run(i, { ...setup[i]!.kept, record, read: (k) => reads[i]!.add(k) }, {
    record: (w) => writes[i]!.push(w),
    touch: () => { touched[i] = true; },
  }));
  // An object that reads no slot holding a heap block would read numbers or 0 in the second pass:
  // its first verdict stands (reading a number where 0 is known is sound), and its writes are in
  // the summary already. One that uses no heap memory either has no load to type.
  const heap = (k: string): boolean => (k.endsWith(':') ? [...summary].some(([s, f]) => s.startsWith(k) && f.kind === 'heap') : summary.get(k)?.kind === 'heap');
  const again = programs.map((_, i) => [...reads[i]!].some(heap) || touched[i]!);
  const results = first.slice();
  const users = programs.map((_, i) => i).filter((i) => again[i]);
  const fixed = programs.flatMap((_, i) => (again[i] ? [] : writes[i]!));
  if (users.length === 0) return { results, summary, cells: opaqueCells(), rounds: 0 };
  // A write the verifier could not place (checked) lets every field hold anything: the heap
  // types nothing, and the first verdicts stand but for the readers of heap-typed kept slots.
  if (writes.some((ws) => ws.some(poisonsAll))) {
    const cells = opaqueCells();
    for (const i of users) if ([...reads[i]!].some(heap)) results[i] = run(i, { ...setup[i]!.kept, summary }, { cells });
    return { results, summary, cells, rounds: 0 };
  }
  const found = cellRounds(users, fixed, (i, cells, rec) => run(i, { ...setup[i]!.kept, summary }, { cells, record: rec }), MAX_ROUNDS);
  for (const [i, r] of found.verdicts) results[i] = r;
  return { results, summary, cells: found.cells, rounds: found.rounds };
}

/**
 * A manifest's objects for verifyPlugin, each read once however many lines name it (for tools:
 * Plugin.fromManifest reads them itself, with its size limit and error messages). Throws on an
 * unreadable or malformed object.
 */
export function pluginObjects(manifest: Manifest): { paths: string[]; images: ProgramImage[]; pluglets: { entry: PlugletEntry; program: number }[] } {
  const paths: string[] = [];
  const pluglets = manifest.pluglets.map((entry) => {
    let i = paths.indexOf(entry.objectPath);
    if (i < 0) i = paths.push(entry.objectPath) - 1;
    return { entry, program: i };
  });
  return { paths, images: paths.map((p) => loadElf(new Uint8Array(readFileSync(p)))), pluglets };
}
