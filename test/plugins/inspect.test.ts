import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { collectStream, handshake, lossyLink, makePair, runUntil } from '../quic/connection/harness.js';
import { PluginRuntime } from '../../src/plugins/runtime.js';
import type { ConnectionTerminated } from '../../src/quic/events.js';

const manifest = (p: string) => fileURLToPath(new URL(`../../plugins-c/${p}`, import.meta.url));
// Slots of plugins-c/inspect/inspect.h.
const IN = { headers: 0, shortHeaders: 1, dcidIsOurs: 2, lost: 3, lostBytes: 4, maxStreams: 5, maxRanges: 6, sackWalks: 7, errors: 9 };

describe('the getters on packets, headers, connection IDs, streams and received ranges', () => {
  it('give a C plugin a consistent view of the connection, under loss, at both ends', () => {
    const rt = PluginRuntime.load([manifest('inspect/inspect.plugin')]);
    const p = makePair();
    const [client] = rt.inject(p.client);
    const link = lossyLink(7, { drop: 0.08 });
    handshake(p, link);
    const [server] = rt.inject(p.server!);
    // Several streams open at once, so the stream walk sees more than one.
    const ids = [0, 1, 2, 3].map(() => p.client.createStream());
    for (const id of ids) p.client.sendStreamData(id, new TextEncoder().encode('GET /\r\n'), true);
    expect(runUntil(p, () => ids.every((id) => collectStream(p.serverEvents, id).fin), { link, maxSteps: 5000 })).toBe(true);
    for (const id of ids) p.server!.sendStreamData(id, new Uint8Array(120_000), true);
    expect(runUntil(p, () => ids.every((id) => collectStream(p.clientEvents, id).fin), { link, maxSteps: 20000 })).toBe(true);
    for (const inst of [client!, server!]) {
      const m = (k: keyof typeof IN) => Number(inst.metadata(IN[k]));
      expect(inst.failure).toBeUndefined();
      expect(m('errors')).toBe(0);
      expect(m('headers')).toBeGreaterThanOrEqual(m('shortHeaders'));
      expect(m('shortHeaders')).toBeGreaterThan(50);
      expect(m('dcidIsOurs')).toBeGreaterThan(0);
      expect(m('dcidIsOurs')).toBeLessThanOrEqual(m('shortHeaders'));
      expect(m('sackWalks')).toBeGreaterThan(0);
    }
    // The client's plugin was there from the start: it saw Initial and Handshake headers too.
    expect(Number(client!.metadata(IN.headers))).toBeGreaterThan(Number(client!.metadata(IN.shortHeaders)));
    expect(Number(client!.metadata(IN.lost))).toBe(p.client.stats.packetsLost);
    // The client received the losses of the server's data: gaps in its ranges.
    expect(Number(client!.metadata(IN.maxRanges))).toBeGreaterThan(1);
    expect(Number(server!.metadata(IN.maxStreams))).toBe(4);
    // Every loss the core declared reached the plugin with the packet's own length.
    const srv = p.server!;
    expect(Number(server!.metadata(IN.lost))).toBe(srv.stats.packetsLost);
    expect(Number(server!.metadata(IN.lost))).toBeGreaterThan(0);
    expect(Number(server!.metadata(IN.lostBytes))).toBeGreaterThan(Number(server!.metadata(IN.lost)) * 100);
  });

  for (const [name, why] of [
    ['setpkt', /set_pkt: key 0x3 is read-only/],
    ['confused', /get_stream_head: not a stream handle/],
  ] as const) {
    it(`${name}: a misuse fails the plugin with a clear error, not the process`, () => {
      const rt = PluginRuntime.load([manifest(`broken/${name}.plugin`)]);
      const p = makePair();
      const link = lossyLink(3, { drop: 0.2 });
      handshake(p, link);
      const [inst] = rt.inject(p.server!);
      const id = p.client.createStream();
      p.client.sendStreamData(id, new TextEncoder().encode('GET /\r\n'), true);
      runUntil(p, () => collectStream(p.serverEvents, id).fin, { link, maxSteps: 5000 });
      p.server!.sendStreamData(id, new Uint8Array(100_000), true);
      runUntil(p, () => p.server!.state !== 'connected', { link, maxSteps: 5000 });
      expect(inst!.failure?.message).toMatch(new RegExp(`plugin test\\.broken\\.${name} failed in packet_was_lost pre`));
      expect(inst!.failure?.message).toMatch(why);
      const t = p.serverEvents.find((e) => e.type === 'connection_terminated') as ConnectionTerminated | undefined;
      expect(t?.reason).toBe(inst!.failure!.message);
    });
  }
});
