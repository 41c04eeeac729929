import { beforeEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { collectStream, handshake, lossyLink, makePair, runUntil } from '../quic/connection/harness.js';
import { PluginRuntime } from '../../src/plugins/runtime.js';
import type { PluginInstance } from '../../src/plugins/instance.js';
import { NO_PARAM } from '../../src/quic/protoop/names.js';

const XOR = fileURLToPath(new URL('../../plugins-c/fec/fec.plugin', import.meta.url));
const RLC = fileURLToPath(new URL('../../plugins-c/fec/fec_rlc.plugin', import.meta.url));
let manifest = XOR;

/** A 1 MB server->client transfer (FEC on the server only, with `serverOnly`) over a link that drops `loss` of the server's datagrams. */
function transfer(withFec: boolean, seed: number, loss: number, serverOnly = false) {
  const rt = PluginRuntime.load([manifest]);
  let ci: PluginInstance | undefined;
  let si: PluginInstance | undefined;
  const p = makePair({ beforeConnect: (c) => void (withFec && !serverOnly && ([ci] = rt.inject(c))) });
  if (withFec) p.onServerCreated = (s) => void ([si] = rt.inject(s));
  handshake(p);
  let lost = 0;
  p.server!.protoops.attach('packet_was_lost', NO_PARAM, 'pre', { owner: 'count', fn: () => void lost++ });
  const drop = lossyLink(seed, { drop: loss });
  const link = (d: Uint8Array[], dir: 'c2s' | 's2c') => (dir === 's2c' ? drop(d, dir) : d);
  const id = p.client.createStream();
  p.client.sendStreamData(id, new TextEncoder().encode('GET /\r\n'), true);
  runUntil(p, () => collectStream(p.serverEvents, id).fin, { link });
  const body = new Uint8Array(1 << 20).map((_, i) => (i * 7 + (i >> 10)) & 0xff);
  p.server!.sendStreamData(id, body, true);
  const done = runUntil(p, () => collectStream(p.clientEvents, id).fin, { link, maxSteps: 50_000 });
  return { done, intact: Buffer.compare(collectStream(p.clientEvents, id).data, body) === 0, lost, ci, si, p };
}

const stat = (i: PluginInstance, n: number) => Number(i.runExternal('get_fec_stat', n));

for (const [scheme, file] of [['XOR block code', XOR], ['sliding-window RLC over GF(256)', RLC]] as const) describe(`fec plugin (${scheme})`, () => {
  beforeEach(() => {
    manifest = file;
  });

  it('recovers lost packets and finishes a 1 MB transfer with fewer retransmissions than without it', () => {
    for (const [seed, loss] of [[3, 0.02], [4, 0.05]] as const) {
      const without = transfer(false, seed, loss);
      const withFec = transfer(true, seed, loss);
      expect(without.done && without.intact).toBe(true);
      expect(withFec.done, `seed ${seed}`).toBe(true);
      expect(withFec.intact).toBe(true);
      expect(withFec.si!.failure).toBeUndefined();
      expect(withFec.ci!.failure).toBeUndefined();
      const recoveredHere = stat(withFec.ci!, 2);
      const recoveredThere = stat(withFec.si!, 3);
      expect(stat(withFec.si!, 0)).toBeGreaterThan(500); // symbols sent
      expect(stat(withFec.si!, 1)).toBeGreaterThan(100); // repairs sent
      expect(recoveredHere).toBeGreaterThan(0);
      expect(recoveredThere).toBeGreaterThan(0);
      expect(withFec.lost, `seed ${seed}: ${withFec.lost} vs ${without.lost} packets declared lost`).toBeLessThan(without.lost);
      if (process.env.FEC_REPORT) console.log(`${scheme} loss ${loss}: lost ${without.lost} without FEC, ${withFec.lost} with (recovered here ${recoveredHere}, acknowledged as recovered ${recoveredThere}, repairs ${stat(withFec.si!, 1)}, symbols ${stat(withFec.si!, 0)})`);
    }
  });

  it('is used only with a peer that announces the same scheme', () => {
    const r = transfer(true, 9, 0.02, true);
    expect(r.done && r.intact).toBe(true);
    expect(stat(r.si!, 0)).toBe(0);
    expect(r.p.server!.peerParams?.unknown.has(0x3f5e)).toBe(false);
  });

  it('names its frames in qlog (SFPID, REPAIR)', () => {
    const rt = PluginRuntime.load([manifest]);
    const names = new Set<string>();
    const qlog = {
      enabled: true,
      event: (_t: number, name: string, data: Record<string, unknown>) => {
        if (name === 'transport:packet_received') for (const f of data.frames as { frame_type: string }[]) names.add(f.frame_type);
      },
      close: () => undefined,
    };
    const p = makePair({ clientQlog: qlog, beforeConnect: (c) => void rt.inject(c) });
    p.onServerCreated = (s) => void rt.inject(s);
    handshake(p);
    const id = p.client.createStream();
    p.client.sendStreamData(id, new TextEncoder().encode('GET /\r\n'), true);
    runUntil(p, () => collectStream(p.serverEvents, id).fin);
    p.server!.sendStreamData(id, new Uint8Array(100_000), true);
    runUntil(p, () => collectStream(p.clientEvents, id).fin, { maxSteps: 5000 });
    expect(names).toContain('SFPID');
    expect(names).toContain('REPAIR');
    expect(names).toContain('stream');
    expect(names).not.toContain('unknown');
  });
});

describe('fec: what only the random linear code recovers', () => {
  /** Drops the server's datagrams number `drop` (counted from the start of the download). */
  function burst(file: string, drop: number[]) {
    manifest = file;
    const rt = PluginRuntime.load([file]);
    let ci: PluginInstance | undefined;
    const p = makePair({ beforeConnect: (c) => void ([ci] = rt.inject(c)) });
    p.onServerCreated = (s) => void rt.inject(s);
    handshake(p);
    const id = p.client.createStream();
    p.client.sendStreamData(id, new TextEncoder().encode('GET /\r\n'), true);
    runUntil(p, () => collectStream(p.serverEvents, id).fin);
    let n = 0;
    const link = (d: Uint8Array[], dir: 'c2s' | 's2c') => (dir === 's2c' ? d.filter(() => !drop.includes(++n)) : d);
    p.server!.sendStreamData(id, new Uint8Array(200_000).map((_, i) => i & 0xff), true);
    expect(runUntil(p, () => collectStream(p.clientEvents, id).fin, { link, maxSteps: 20_000 })).toBe(true);
    return stat(ci!, 2);
  }

  it('rebuilds two packets lost in a row, where one XOR repair per block cannot', () => {
    expect(burst(RLC, [21, 22])).toBe(2);
    expect(burst(XOR, [21, 22])).toBeLessThan(2);
  });
});

