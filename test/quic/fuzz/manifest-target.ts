/**
 * Fuzz target for plugin manifests (src/plugins/manifest.ts, PQUIC's .plugin format): mutated
 * copies of the repository's manifests and of included files. Contract: a Manifest that obeys
 * the format's rules (at least one pluglet, 16-bit params, object paths anchored at the
 * manifest's directory) or a ManifestError; includes resolve through an in-memory file table,
 * so cycles and missing files are exercised without touching the disk.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { MANIFEST_NO_PARAM, ManifestError, parseManifest } from '../../../src/plugins/manifest.js';
import type { Prng } from '../wire/prng.js';
import { mutatedInput } from './wire-targets.js';
import { type FuzzCase, type FuzzTarget, ensure, typedOutcome } from './runner.js';

const ROOT = resolve('/fuzz/plugin');
const MAIN = join(ROOT, 'main.plugin');
const INCLUDED = join(ROOT, 'inc.plugin');

let seeds: Uint8Array[] | undefined;

/** The repository's manifests (plugins-c/<name>/*.plugin) and a few with includes and markers. */
function manifestSeeds(): Uint8Array[] {
  if (seeds) return seeds;
  const enc = new TextEncoder();
  const texts = [
    'be.fuzz.neg negotiate optional\ninc.plugin include\n-\nparse_frame param 0x40 replace p.o\n',
    'be.fuzz.loop\ninc.plugin include\nupdate_rtt post sub/u.o\n',
    'write_transport_parameter param 0x40 replace w.o\n-\nmain.plugin include\n',
    '# comment\nbe.fuzz.x rate_unlimited dynamic_memory\nsend_message extern s.o\nprocess_frame param 0777 pre q.o\n',
  ];
  // The repository's own manifests, found relative to the working directory (the package root).
  const dir = resolve('plugins-c');
  try {
    for (const sub of readdirSync(dir, { withFileTypes: true })) {
      if (!sub.isDirectory()) continue;
      for (const f of readdirSync(join(dir, sub.name))) {
        if (f.endsWith('.plugin')) texts.push(readFileSync(join(dir, sub.name, f), 'utf8'));
      }
    }
  } catch {
    // No plugins-c here: the synthetic manifests still cover the grammar.
  }
  seeds = texts.map((t) => enc.encode(t));
  return seeds;
}

function manifestCase(rng: Prng): FuzzCase {
  const all = manifestSeeds();
  const main = mutatedInput(rng, all, 80);
  const inc = mutatedInput(rng, all, 40);
  const dec = new TextDecoder();
  const mainText = dec.decode(main.bytes);
  const incText = dec.decode(inc.bytes);
  const files = new Map([[MAIN, mainText], [INCLUDED, incText]]);
  const read = (p: string): string => {
    const t = files.get(p);
    if (t === undefined) throw Object.assign(new Error(`no file ${p}`), { code: 'ENOENT' });
    return t;
  };
  // Both texts in the input, NUL-separated, so the report names the whole case.
  const input = new Uint8Array(main.bytes.length + 1 + inc.bytes.length);
  input.set(main.bytes);
  input.set(inc.bytes, main.bytes.length + 1);
  return {
    input,
    desc: `main.plugin: ${main.desc}; inc.plugin: ${inc.desc}`,
    check: () => {
      const { value: m, outcome } = typedOutcome(() => parseManifest(mainText, MAIN, read), [ManifestError]);
      if (m === undefined) return outcome;
      ensure(m.pluglets.length > 0, 'a manifest without pluglets');
      for (const p of m.pluglets) {
        ensure(Number.isInteger(p.param) && p.param >= 0 && p.param <= 0xffff, `param ${p.param} out of 16 bits`);
        ensure(p.anchor !== 'extern' || p.param === MANIFEST_NO_PARAM, 'extern pluglet with a param');
        ensure(isAbsolute(p.objectPath) && p.objectPath.length < 250, `object path ${p.objectPath} not absolute or too long`);
        ensure(files.has(p.source.file), `pluglet from ${p.source.file}, which was never read`);
      }
      return 'parsed';
    },
  };
}

export const manifestTarget: FuzzTarget = { name: 'manifest', makeCase: manifestCase };
