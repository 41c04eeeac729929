/**
 * The verifier's signature table covers the whole connection API: a helper the runtime
 * registers without a signature (or under another name) fails here, so the table cannot drift
 * from the ABI (src/plugins/abi.ts, instance.ts).
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { makePair } from '../quic/connection/harness.js';
import { PluginRuntime } from '../../src/plugins/runtime.js';
import { HELPER_IDS } from '../../src/plugins/abi.js';
import { PLUGIN_HELPER_SIGNATURES } from '../../src/plugins/helper-signatures.js';

const plugin = (p: string) => fileURLToPath(new URL(`../../plugins-c/${p}`, import.meta.url));

describe('helper signatures', () => {
  it('every helper id of the ABI has a signature under its name', () => {
    for (const [name, id] of HELPER_IDS) {
      expect(PLUGIN_HELPER_SIGNATURES.get(id)?.name, name).toBe(name);
    }
    expect(PLUGIN_HELPER_SIGNATURES.size).toBe(HELPER_IDS.size);
  });

  it('every helper a plugin instance registers has a signature under its name', () => {
    const [inst] = PluginRuntime.load([plugin('ack_delay/ack_delay.plugin')]).inject(makePair().client);
    let registered = 0;
    for (let id = 0; id < 4096; id++) {
      const name = inst!.vm.helperName(id);
      if (name === undefined) continue;
      registered++;
      expect(PLUGIN_HELPER_SIGNATURES.get(id)?.name, `helper ${id} (${name})`).toBe(name);
    }
    expect(registered).toBe(HELPER_IDS.size);
  });

  it('memory arguments name a length register that exists', () => {
    for (const sig of PLUGIN_HELPER_SIGNATURES.values()) {
      sig.args.forEach((a) => {
        if (a.kind === 'mem' && a.len !== undefined) expect(a.len, sig.name).toBeLessThanOrEqual(sig.args.length);
        if (a.kind === 'mem') expect(a.len !== undefined || a.size !== undefined, sig.name).toBe(true);
      });
      if (sig.ret.kind === 'heap_or_null') expect(sig.ret.sizeArg).toBeLessThanOrEqual(sig.args.length);
    }
  });
});
