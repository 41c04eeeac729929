/**
 * The CLI's `-P FILE.plugin` (repeatable) and `-S FILE` options, shared by server and client:
 * load the plugins once, inject them into every connection the endpoint creates, write the
 * statistics when the command ends.
 */
import { writeFileSync } from 'node:fs';
import type { QuicConnection } from '../quic/connection/connection.js';
import { ManifestError } from '../plugins/manifest.js';
import { DEFAULT_PLUGIN_ENGINE, PluginError } from '../plugins/plugin.js';
import { PluginRuntime } from '../plugins/runtime.js';
import { VmError } from '../vm/errors.js';
import { engineOpt, str, strs, UsageError, type Parsed } from './args.js';

export const PLUGIN_OPTIONS = {
  plugin: { type: 'string', short: 'P', multiple: true },
  'plugin-stats': { type: 'string', short: 'S' },
  'plugin-verify': { type: 'string' },
  engine: { type: 'string' },
} as const;

export const PLUGIN_USAGE = `  -P, --plugin FILE     load a plugin (.plugin manifest) into every connection; repeatable
  -S, --plugin-stats F  write per-pluglet calls and time (JSON) to F when done
  --plugin-verify P     how the verifier judges each pluglet at load: checked (default) | strict | off

  --engine E            VM engine of the plugins: interpreter | jit (default ${DEFAULT_PLUGIN_ENGINE},
                        or the PQUIC_ENGINE environment variable)`;

export interface PluginSetup {
  runtime: PluginRuntime | undefined;
  /** For the endpoint's onConnectionCreated. */
  onConnectionCreated: ((quic: QuicConnection) => void) | undefined;
  /** Writes the -S file, if asked. */
  finish(): void;
}

/** Throws a one-line Error for a plugin that cannot be loaded (the command exits 1). */
export function setupPlugins(p: Parsed, log: (line: string) => void): PluginSetup {
  const files = strs(p, 'plugin');
  const statsFile = str(p, 'plugin-stats');
  const verify = str(p, 'plugin-verify') ?? 'checked';
  if (verify !== 'checked' && verify !== 'strict' && verify !== 'off') throw new UsageError(`--plugin-verify must be checked, strict or off, got '${verify}'`);
  const engine = str(p, 'engine') === undefined ? undefined : engineOpt(p);
  let runtime: PluginRuntime | undefined;
  if (files.length > 0) {
    try {
      runtime = PluginRuntime.load(files, { log, verify, ...(engine ? { engine } : {}) });
    } catch (e) {
      if (e instanceof ManifestError || e instanceof PluginError || e instanceof VmError) throw new Error(`cannot load plugin: ${e.message}`);
      throw e;
    }
  }
  return {
    runtime,
    onConnectionCreated: runtime ? (quic) => void runtime!.inject(quic) : undefined,
    finish: () => {
      if (statsFile === undefined) return;
      const stats = runtime?.stats() ?? [];
      writeFileSync(statsFile, JSON.stringify({ plugins: stats }, null, 2) + '\n');
    },
  };
}
