/**
 * `pquic verify --plugin MANIFEST`: every pluglet object of a plugin, verified as Plugin.load
 * does (src/plugins/verify-plugin.ts): each object with its operation's input contract and the
 * plugin-wide summary of what the host keeps for the plugin (metadata slots, parse_frame's frame
 * structures), which types the values other pluglets read back.
 */
import type { Io } from '../io.js';
import { formatRejection, type Policy } from '../../vm/verifier/index.js';
import type { KeptFact } from '../../vm/verifier/types.js';
import { ManifestError, loadManifest } from '../../plugins/manifest.js';
import { pluginObjects, verifyPlugin } from '../../plugins/verify-plugin.js';

/** The summary's wording: a heap block is "or NULL" unless every write NULL-checked it (a reserved frame_ctx). */
const describeFact = (f: KeptFact): string =>
  f.kind === 'heap' ? `heap block of ${f.size} bytes${f.nonNull ? '' : ' or NULL'}` : f.kind === 'null' ? 'NULL' : 'number';

/** Exit status: 0 every object accepted, 1 one rejected, 2 the manifest or an object unreadable. */
export function verifyPluginFiles(manifestPath: string, policy: Policy, opts: { json: boolean; trace: boolean }, io: Io): number {
  let objects: ReturnType<typeof pluginObjects>;
  try {
    objects = pluginObjects(loadManifest(manifestPath));
  } catch (e) {
    // A manifest or object that cannot be read is an input error, not a rejection.
    io.err(`pquic verify: ${e instanceof ManifestError ? '' : `${manifestPath}: `}${(e as Error).message}`);
    return 2;
  }
  const { paths, images, pluglets } = objects;
  const t0 = performance.now();
  const v = verifyPlugin(images, pluglets, policy);
  const ms = performance.now() - t0;
  const ok = v.results.every((r) => r.ok);
  const opsOf = (i: number): string => [...new Set(pluglets.filter((p) => p.program === i).map((p) => p.entry.protoop))].join(', ');
  if (opts.json) {
    io.out(JSON.stringify({
      manifest: manifestPath, policy, ok, ms: Math.round(ms * 1000) / 1000,
      kept: Object.fromEntries([...v.summary].map(([k, f]) => [k, describeFact(f)])),
      objects: v.results.map((r, i) => ({ file: paths[i]!, protoops: opsOf(i), ok: r.ok, steps: r.steps, provenAccesses: [...r.provenAccesses].sort((a, b) => a - b), unboundedLoops: r.unboundedLoops, errors: r.errors })),
    }, null, 2));
    return ok ? 0 : 1;
  }
  const accepted = v.results.filter((r) => r.ok).length;
  io.out(`${manifestPath}: ${ok ? 'accepted' : 'rejected'} (${policy}; ${accepted} of ${paths.length} objects accepted; ${ms.toFixed(2)} ms)`);
  for (const [k, f] of [...v.summary].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) io.out(`  kept ${k}: ${describeFact(f)}`);
  v.results.forEach((r, i) => {
    const what = `${paths[i]!} (${opsOf(i)})`;
    if (r.ok) {
      io.out(`  ${what}: accepted, ${r.provenAccesses.size} memory accesses proven${r.unboundedLoops.length ? `, loops at PC ${r.unboundedLoops.join(', ')} left to the fuel` : ''}`);
      return;
    }
    io.out(`  ${what}: rejected: ${r.errors.length} problem${r.errors.length > 1 ? 's' : ''}`);
    for (const e of r.errors) io.out(formatRejection(e, { trace: opts.trace }).replace(/^/gm, '    '));
  });
  return ok ? 0 : 1;
}
