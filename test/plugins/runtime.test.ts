import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { collectStream, handshake, makePair, runFor, runUntil } from '../quic/connection/harness.js';
import { PluginRuntime } from '../../src/plugins/runtime.js';
import { NO_PARAM } from '../../src/quic/protoop/names.js';

const plugin = (p: string) => fileURLToPath(new URL(`../../plugins-c/${p}`, import.meta.url));

/**
 * The server sends 20 small messages one at a time, each into a quiet link: the client has one
 * ack-eliciting packet to acknowledge and waits its ack delay. Returns the ack delays (µs) the
 * server read in the client's ACK frames.
 */
function exchange(withPlugin: boolean) {
  const p = makePair();
  const runtime = PluginRuntime.load([plugin('ack_delay/ack_delay.plugin')]);
  const instances = withPlugin ? runtime.inject(p.client) : [];
  handshake(p);
  const delays: number[] = [];
  for (const t of [0x02, 0x03]) {
    p.server!.protoops.attach('process_frame', t, 'pre', { owner: 'test', fn: (c) => void delays.push((c.args[0] as { ackDelay: number }).ackDelay * 8) });
  }
  const id = p.client.createStream();
  p.client.sendStreamData(id, new TextEncoder().encode('GET /\r\n'), true);
  runUntil(p, () => collectStream(p.serverEvents, id).fin);
  for (let i = 0; i < 20; i++) {
    p.server!.sendStreamData(id, new Uint8Array(100).fill(i), i === 19);
    runFor(p, 60_000);
  }
  expect(collectStream(p.clientEvents, id)).toMatchObject({ fin: true });
  return { p, delays, instances, runtime };
}

describe('plugin runtime: ack_delay', () => {
  it('runs the clang-built pluglets in place of the core and changes ACK timing', () => {
    const without = exchange(false);
    const withP = exchange(true);
    const inst = withP.instances[0]!;
    expect(inst.failure).toBeUndefined();
    const calls = Object.fromEntries(inst.stats.map((s) => [s.protoop, s.calls]));
    expect(calls.update_ack_delay).toBeGreaterThan(0);
    expect(calls.is_ack_needed).toBeGreaterThan(10);
    // RTT here is 10 ms: the plugin acks within max(1 ms, rtt_min/4) = 2.5 ms, the core within 25 ms.
    expect(Math.max(...without.delays)).toBeGreaterThan(5_000);
    expect(Math.max(...withP.delays)).toBeLessThanOrEqual(2_600);
    expect(withP.p.client.spaces[2].ack.maxAckDelay).toBe(2500);
  });

  it('instantiates per connection without sharing memory, and detaches cleanly', () => {
    const runtime = PluginRuntime.load([plugin('ack_delay/ack_delay.plugin')]);
    const a = makePair();
    const b = makePair();
    const [ia] = runtime.inject(a.client);
    const [ib] = runtime.inject(b.client);
    expect(ia!.vm).not.toBe(ib!.vm);
    expect(ia!.vm.memory).not.toBe(ib!.vm.memory);
    expect(a.client.protoops.entry('is_ack_needed', NO_PARAM)!.replace?.owner).toBe('be.mpiraux.ack_delay');
    ia!.detach();
    expect(a.client.protoops.entry('is_ack_needed', NO_PARAM)!.replace).toBeUndefined();
    expect(runtime.stats()[0]!.connections).toBe(2);
  });
});
