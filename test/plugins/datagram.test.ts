import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { handshake, lossyLink, makePair, runFor } from '../quic/connection/harness.js';
import { PluginRuntime } from '../../src/plugins/runtime.js';
import type { PluginInstance } from '../../src/plugins/instance.js';
import { DatagramChannel } from '../../src/plugins/datagram.js';

const manifest = fileURLToPath(new URL('../../plugins-c/datagram/datagram.plugin', import.meta.url));
const text = (m: Uint8Array) => new TextDecoder().decode(m);

/** A client/server pair with the datagram plugin injected in both connections at creation. */
function pair(opts: { serverPlugin?: boolean } = {}) {
  const rt = PluginRuntime.load([manifest]);
  let ci: PluginInstance | undefined;
  let si: PluginInstance | undefined;
  const p = makePair({ beforeConnect: (c) => void ([ci] = rt.inject(c)) });
  if (opts.serverPlugin !== false) p.onServerCreated = (s) => void ([si] = rt.inject(s));
  return { p, rt, ci: () => ci!, si: () => si! };
}

describe('datagram plugin (RFC 9221)', () => {
  it('negotiates max_datagram_frame_size in both directions', () => {
    const { p, ci, si } = pair();
    handshake(p);
    expect(p.client.localParams.maxDatagramFrameSize).toBe(1200);
    expect(p.server!.peerParams?.maxDatagramFrameSize).toBe(1200);
    expect(new DatagramChannel(ci()).stats.peerMaxFrameSize).toBe(1200);
    expect(new DatagramChannel(si()).stats.peerMaxFrameSize).toBe(1200);
  });

  it('refuses to send to a peer without the plugin', () => {
    const { p, ci } = pair({ serverPlugin: false });
    handshake(p);
    expect(new DatagramChannel(ci()).send(new Uint8Array(10))).toBe('unsupported_by_peer');
  });

  it('carries messages over a lossy, reordering link: unreliable, never retransmitted, intact', () => {
    const { p, ci, si } = pair();
    const link = lossyLink(5, { drop: 0.1, reorder: 0.3 });
    handshake(p, link);
    const client = new DatagramChannel(ci());
    const server = new DatagramChannel(si());
    expect(client.send(new Uint8Array(1300))).toBe('too_large');
    const sent: string[] = [];
    const got: string[] = [];
    for (let i = 0; i < 200; i++) {
      const msg = `datagram ${i} ${'x'.repeat(i % 300)}`;
      sent.push(msg);
      expect(client.send(new TextEncoder().encode(msg))).toBe('queued');
      if (i % 10 === 9) {
        runFor(p, 20_000, link);
        for (const m of server.receiveAll()) got.push(text(m));
      }
    }
    runFor(p, 500_000, link);
    for (const m of server.receiveAll()) got.push(text(m));
    const st = client.stats;
    expect(st.sent).toBe(200);
    expect(got.length).toBeGreaterThan(100);
    expect(got.length).toBeLessThan(200); // about 10% lost, and lost datagrams stay lost
    for (const m of got) expect(sent).toContain(m);
    expect(new Set(got).size).toBe(got.length);
    expect(st.lost).toBeGreaterThan(0);
    expect(server.stats.received).toBe(got.length);
    // Reordered: the link swapped some of them.
    const order = got.map((m) => Number(m.split(' ')[1]));
    expect(order.some((n, i) => i > 0 && n < order[i - 1]!)).toBe(true);
    expect(server.send(new TextEncoder().encode('pong'))).toBe('queued');
    runFor(p, 100_000);
    expect(client.receiveAll().map(text)).toEqual(['pong']);
    expect(ci().failure).toBeUndefined();
    expect(si().failure).toBeUndefined();
    expect(p.client.state).toBe('connected');
  });
});
