/**
 * The RLC fec plugin loaded as a plugin from a peer would be: verified under strict, where the
 * JIT drops the runtime checks of every access the verifier proved (rlc.h's masked indexes and
 * clamped lengths, the SFPID frame checked against the buffer's length). Its recovery under loss
 * must be what it is with the checks kept.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { collectStream, handshake, lossyLink, makePair, runUntil } from '../quic/connection/harness.js';
import { PluginRuntime } from '../../src/plugins/runtime.js';
import type { PluginInstance } from '../../src/plugins/instance.js';
import type { Policy } from '../../src/vm/verifier/index.js';

const RLC = fileURLToPath(new URL('../../plugins-c/fec/fec_rlc.plugin', import.meta.url));

/** 300 kB server->client over a link dropping 5% of the server's datagrams; the counts get_fec_stat reports. */
function lossyTransfer(verify: Policy | 'off') {
  const rt = PluginRuntime.load([RLC], { verify, engine: 'jit' });
  let ci: PluginInstance | undefined;
  let si: PluginInstance | undefined;
  const p = makePair({ beforeConnect: (c) => void ([ci] = rt.inject(c)) });
  p.onServerCreated = (s) => void ([si] = rt.inject(s));
  handshake(p);
  const drop = lossyLink(4, { drop: 0.05 });
  const link = (d: Uint8Array[], dir: 'c2s' | 's2c') => (dir === 's2c' ? drop(d, dir) : d);
  const id = p.client.createStream();
  p.client.sendStreamData(id, new TextEncoder().encode('GET /\r\n'), true);
  runUntil(p, () => collectStream(p.serverEvents, id).fin, { link });
  const body = new Uint8Array(300_000).map((_, i) => (i * 13) & 0xff);
  p.server!.sendStreamData(id, body, true);
  const done = runUntil(p, () => collectStream(p.clientEvents, id).fin, { link, maxSteps: 30_000 });
  const stat = (i: PluginInstance, n: number) => Number(i.runExternal('get_fec_stat', n));
  return {
    done,
    intact: Buffer.compare(collectStream(p.clientEvents, id).data, body) === 0,
    failures: [si!.failure, ci!.failure],
    stats: { symbols: stat(si!, 0), repairs: stat(si!, 1), recovered: stat(ci!, 2), acknowledged: stat(si!, 3) },
  };
}

describe('fec_rlc verified under strict, on the JIT', () => {
  it('recovers lost packets exactly as with the runtime checks kept', () => {
    const strict = lossyTransfer('strict');
    expect(strict.done && strict.intact).toBe(true);
    expect(strict.failures).toEqual([undefined, undefined]);
    expect(strict.stats.recovered).toBeGreaterThan(0);
    // Unverified (`off`): every access keeps its runtime check.
    expect(strict.stats).toEqual(lossyTransfer('off').stats);
  });
});
