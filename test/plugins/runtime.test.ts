import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { collectStream, handshake, makePair, runFor, runUntil } from '../quic/connection/harness.js';
import { PluginRuntime } from '../../src/plugins/runtime.js';
import { MESSAGE_QUEUE_MAX } from '../../src/plugins/instance.js';
import { NO_PARAM } from '../../src/quic/protoop/names.js';
import { DEFAULT_PLUGIN_ENGINE } from '../../src/plugins/plugin.js';

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

describe('messages from plugins to the application', () => {
  it('queue up to a bound; the sender learns the queue is full; taking them makes room', () => {
    const seen: Uint8Array[] = [];
    const rt = PluginRuntime.load([plugin('messages/chatty.plugin')], { onMessage: (_i, _c, d) => void seen.push(d) });
    const p = makePair();
    const [inst] = rt.inject(p.client);
    handshake(p);
    const queued = Number(inst!.metadata(0));
    expect(queued).toBe(MESSAGE_QUEUE_MAX);
    expect(Number(inst!.metadata(1))).toBeGreaterThanOrEqual(300 - MESSAGE_QUEUE_MAX);
    expect(seen).toHaveLength(MESSAGE_QUEUE_MAX);
    expect(new TextDecoder().decode(seen[0])).toBe('pquic-ts');
    expect(inst!.takeMessages()).toHaveLength(MESSAGE_QUEUE_MAX);
    // The next RTT sample finds room again.
    const id = p.client.createStream();
    p.client.sendStreamData(id, new Uint8Array(10), true);
    runUntil(p, () => Number(inst!.metadata(0)) > queued, { maxSteps: 50 });
    expect(Number(inst!.metadata(0))).toBe(2 * MESSAGE_QUEUE_MAX);
    expect(inst!.failure).toBeUndefined();
  });

  it('a message above the size limit is refused at load by the verifier', () => {
    expect(() => PluginRuntime.load([plugin('messages/toolong.plugin')])).toThrow(
      /toolong\.plugin:\d+: plugin [\w.]+, pluglet update_rtt post \(.*toolong\.o\) rejected by the verifier \(checked\): PC \d+: call 209 # pquic_message_send: pquic_message_send: length r3 may be 70000 \(at most 65536\) \[HELPER_ARG\]/,
    );
  });

  it('a message above the size limit fails the plugin, not the process (runtime check, verifier off)', () => {
    const rt = PluginRuntime.load([plugin('messages/toolong.plugin')], { verify: 'off' });
    const p = makePair();
    const [inst] = rt.inject(p.client);
    runUntil(p, () => inst!.failure !== undefined, { maxSteps: 100 });
    expect(inst!.failure?.message).toMatch(/pquic_message_send: 70000 bytes \(at most 65536\)/);
  });
});

describe('plugin engine', () => {
  it('runs every instance on the engine this test project asks for (PQUIC_ENGINE)', () => {
    const p = makePair();
    const [inst] = PluginRuntime.load([plugin('ack_delay/ack_delay.plugin')]).inject(p.client);
    expect(inst!.vm.engine).toBe(process.env.PQUIC_ENGINE || DEFAULT_PLUGIN_ENGINE);
    const [jit] = PluginRuntime.load([plugin('ack_delay/ack_delay.plugin')], { engine: 'jit' }).inject(makePair().client);
    expect(jit!.vm.engine).toBe('jit');
    expect(jit!.vm.jit!.functions).toBeGreaterThan(0);
  });
});
