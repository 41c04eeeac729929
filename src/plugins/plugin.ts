/**
 * A plugin, loaded once: its manifest, and every pluglet object linked into one memory image
 * (src/vm/link.ts). Instances (one per connection, instance.ts) copy that image into a fresh VM
 * memory: no ELF parsing, relocation or validation happens per connection (PQUIC reloaded and
 * re-JITed every pluglet for every connection).
 */
import { readFileSync, statSync } from 'node:fs';
import { loadElf } from '../vm/elf.js';
import { VmError } from '../vm/errors.js';
import { linkPrograms, type LinkedImage } from '../vm/link.js';
import type { Policy, VerifyResult } from '../vm/verifier/index.js';
import { parseEngine, type Engine } from '../vm/vm.js';
import { jitModule } from '../vm/jit/compile.js';
import { programProofs, type JitProofs } from '../vm/jit/proofs.js';
import { HELPER_IDS } from './abi.js';
import { verifyPlugin } from './verify-plugin.js';
import { loadManifest, type Manifest, type PlugletEntry } from './manifest.js';

/** PQUIC's limit on a pluglet object (readfile(path, 1 MiB)). */
const MAX_OBJECT_BYTES = 1 << 20;

export class PluginError extends Error {
  readonly plugin: string;
  constructor(plugin: string, message: string) {
    super(message);
    this.name = 'PluginError';
    this.plugin = plugin;
  }
}

export interface PluginOptions {
  /** Heap bytes of each instance (my_malloc). Default 256 KiB. */
  heapSize?: number;
  /** Instruction budget of one pluglet call. Default 10 million. */
  fuel?: number;
  /**
   * How the static verifier judges each pluglet at load (src/vm/verifier): `checked` (default,
   * local plugins: definite violations are refused, the rest keeps its runtime checks),
   * `strict` (plugins from a peer: everything proven), or `off` (only for tests of the runtime
   * checks that stand behind the verifier).
   */
  verify?: Policy | 'off';
  /**
   * Engine of every instance's VM. Default: the PQUIC_ENGINE environment variable if set (so the
   * whole test suite can run on either engine), else DEFAULT_PLUGIN_ENGINE.
   */
  engine?: Engine;
}

/** The engine plugins run on unless told otherwise. */
export const DEFAULT_PLUGIN_ENGINE: Engine = 'jit';

function defaultEngine(): Engine {
  const env = process.env.PQUIC_ENGINE;
  return env === undefined || env === '' ? DEFAULT_PLUGIN_ENGINE : parseEngine(env);
}

export interface Pluglet {
  entry: PlugletEntry;
  /** Index of its object in the linked image. */
  program: number;
}

export class Plugin {
  readonly name: string;
  readonly manifest: Manifest;
  readonly linked: LinkedImage;
  readonly pluglets: Pluglet[];
  readonly heapSize: number;
  readonly fuel: number;
  readonly engine: Engine;
  /** The connection goes on without the plugin when it fails (manifest option `optional`). */
  readonly optional: boolean;
  /**
   * The verifier's verdict on each program (by index in the linked image), when verification
   * was on: which memory accesses are proven (the JIT may drop their checks), which loops are
   * left to the fuel.
   */
  readonly verification: (VerifyResult | undefined)[];
  /**
   * The verifier's proofs the JIT compiles with (every instance loads the image with them), or
   * undefined when verification was off: then every access keeps its check.
   */
  readonly jitProofs: JitProofs | undefined;

  private constructor(manifest: Manifest, linked: LinkedImage, pluglets: Pluglet[], opts: PluginOptions, verification: (VerifyResult | undefined)[], jitProofs: JitProofs | undefined) {
    this.name = manifest.name;
    this.verification = verification;
    this.jitProofs = jitProofs;
    this.manifest = manifest;
    this.linked = linked;
    this.pluglets = pluglets;
    this.heapSize = opts.heapSize ?? 256 << 10;
    this.fuel = opts.fuel ?? 10_000_000;
    this.engine = opts.engine ?? defaultEngine();
    this.optional = manifest.options.has('optional');
  }

  /** Loads a manifest and links its pluglets. Throws ManifestError or PluginError naming the file. */
  static load(manifestPath: string, opts: PluginOptions = {}): Plugin {
    const manifest = loadManifest(manifestPath);
    return Plugin.fromManifest(manifest, opts);
  }

  static fromManifest(manifest: Manifest, opts: PluginOptions = {}): Plugin {
    const programs: { name: string; image: ReturnType<typeof loadElf> }[] = [];
    const indexOf = new Map<string, number>();
    const pluglets: Pluglet[] = [];
    for (const entry of manifest.pluglets) {
      let index = indexOf.get(entry.objectPath);
      if (index === undefined) {
        const where = `${entry.source.file}:${entry.source.line}`;
        let bytes: Uint8Array;
        try {
          if (statSync(entry.objectPath).size > MAX_OBJECT_BYTES) throw new Error(`larger than ${MAX_OBJECT_BYTES} bytes`);
          bytes = new Uint8Array(readFileSync(entry.objectPath));
        } catch (e) {
          const err = e as NodeJS.ErrnoException;
          throw new PluginError(manifest.name, `${where}: cannot read ${entry.objectPath}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
        }
        try {
          programs.push({ name: entry.objectPath, image: loadElf(bytes) });
        } catch (e) {
          throw new PluginError(manifest.name, `${where}: ${entry.objectPath}: ${(e as Error).message}`);
        }
        index = programs.length - 1;
        indexOf.set(entry.objectPath, index);
      }
      pluglets.push({ entry, program: index });
    }
    const policy = opts.verify ?? 'checked';
    // Every object, with the plugin-wide summary of what the host keeps for the plugin (verify-plugin.ts).
    const verdicts = policy === 'off' ? undefined : verifyPlugin(programs.map((p) => p.image), pluglets, policy).results;
    const verification = programs.map((prog, i) => {
      const r = verdicts?.[i];
      if (r && !r.ok) {
        // Name the plugin, the pluglet (operation, anchor, manifest line), the pc and the reason.
        const p = pluglets.find((x) => x.program === i)!.entry;
        const e = r.errors[0]!;
        const more = r.errors.length > 1 ? ` (and ${r.errors.length - 1} more)` : '';
        throw new PluginError(manifest.name, `${p.source.file}:${p.source.line}: plugin ${manifest.name}, pluglet ${p.protoop}${p.param !== 0xffff ? `[0x${p.param.toString(16)}]` : ''} ${p.anchor} (${prog.name}) rejected by the verifier (${policy}): PC ${e.pc}: ${e.insn}: ${e.reason} [${e.code}]${more}`);
      }
      return r;
    });
    const jitProofs = policy === 'off' ? undefined : verification.map(programProofs);
    let linked: LinkedImage;
    try {
      linked = linkPrograms(programs, {
        helperId: (name) => HELPER_IDS.get(name),
        isHelper: (id) => [...HELPER_IDS.values()].includes(id),
        heapSize: opts.heapSize ?? 256 << 10,
      });
      // Compile now, once for every connection to come, so that a failure is a load error.
      // With the verifier's proofs, when it ran: proven accesses lose their checks (jit/proofs.ts).
      if ((opts.engine ?? defaultEngine()) === 'jit') jitModule(linked, jitProofs);
    } catch (e) {
      if (e instanceof VmError) throw new PluginError(manifest.name, `${manifest.file}: ${e.message}`);
      throw e;
    }
    return new Plugin(manifest, linked, pluglets, opts, verification, jitProofs);
  }
}
