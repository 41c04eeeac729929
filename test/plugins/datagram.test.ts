import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { handshake, lossyLink, makePair, runFor } from '../quic/connection/harness.js';
import { PluginRuntime } from '../../src/plugins/runtime.js';
import type { PluginInstance } from '../../src/plugins/instance.js';
import { DatagramChannel } from '../../src/plugins/datagram.js';
import type { PluginOptions } from '../../src/plugins/plugin.js';
import { ExternInputError } from '../../src/plugins/extern-inputs.js';

const manifest = fileURLToPath(new URL('../../plugins-c/datagram/datagram.plugin', import.meta.url));
const text = (m: Uint8Array) => new TextDecoder().decode(m);

/** A client/server pair with the datagram plugin injected in both connections at creation. */
function pair(opts: { serverPlugin?: boolean; load?: PluginOptions } = {}) {
  const rt = PluginRuntime.load([manifest], opts.load);
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

  it('under strict (the JIT drops the checks of proven accesses) it carries messages; a length past the buffer is refused to the application', () => {
    const { p, ci, si } = pair({ load: { verify: 'strict', engine: 'jit' } });
    handshake(p);
    expect(ci().plugin.verification.every((v) => v!.ok && v!.policy === 'strict')).toBe(true);
    const client = new DatagramChannel(ci());
    const server = new DatagramChannel(si());
    const msg = new TextEncoder().encode('hello');
    // The contract the verifier assumed for send_message: the length is within the bytes given.
    expect(() => ci().runExternal('send_message', msg, msg.length + 1)).toThrow(ExternInputError);
    expect(() => ci().runExternal('send_message', 12345, 5)).toThrow(ExternInputError);
    expect(() => si().runExternal('get_message', new Uint8Array(4), 5)).toThrow(ExternInputError);
    expect(ci().failure).toBeUndefined();
    expect(client.stats.sent).toBe(0);
    for (const n of [0, 1, 5, 1100]) expect(client.send(new Uint8Array(n).fill(n & 0xff))).toBe('queued');
    expect(client.send(new Uint8Array(1300))).toBe('too_large');
    runFor(p, 100_000);
    // A shorter length than the buffer is allowed: only that prefix goes.
    expect(ci().runExternal('send_message', msg, 2)).toBe(0);
    runFor(p, 100_000);
    const got = server.receiveAll();
    expect(got.map((m) => m.length)).toEqual([0, 1, 5, 1100, 2]);
    expect(got[3]!.every((b) => b === (1100 & 0xff))).toBe(true);
    expect(text(got[4]!)).toBe('he');
    // Truncated to a smaller buffer of the application.
    expect(server.send(new TextEncoder().encode('truncated'))).toBe('queued');
    runFor(p, 100_000);
    const small = new Uint8Array(4);
    expect(Number(ci().runExternal('get_message', small, small.length))).toBe(9);
    expect(text(small)).toBe('trun');
    expect(ci().failure).toBeUndefined();
    expect(si().failure).toBeUndefined();
  });
});
