import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { collectStream, handshake, makePair, runUntil, type Pair } from '../quic/connection/harness.js';
import { PluginRuntime } from '../../src/plugins/runtime.js';
import { NO_PARAM } from '../../src/quic/protoop/names.js';
import { TransportErrorCode } from '../../src/quic/wire/errors.js';
import type { ConnectionTerminated } from '../../src/quic/events.js';

const manifest = (p: string) => fileURLToPath(new URL(`../../plugins-c/${p}`, import.meta.url));
const terminated = (events: { type: string }[]) => events.find((e) => e.type === 'connection_terminated') as ConnectionTerminated | undefined;

function transfer(p: Pair, size = 50_000): boolean {
  const id = p.client.createStream();
  p.client.sendStreamData(id, new TextEncoder().encode('GET /\r\n'), true);
  if (!runUntil(p, () => collectStream(p.serverEvents, id).fin || p.client.state !== 'connected')) return false;
  if (p.client.state !== 'connected') return false;
  p.server!.sendStreamData(id, new Uint8Array(size), true);
  return runUntil(p, () => collectStream(p.clientEvents, id).fin || p.client.state !== 'connected', { maxSteps: 5000 }) && collectStream(p.clientEvents, id).fin;
}

describe('a misbehaving plugin fails alone', () => {
  for (const [name, why] of [
    ['oob', /out of bounds memory store/],
    ['spin', /instruction budget of \d+ exhausted/],
    ['forged', /not a path handle/],
    ['readonly', /key 0x24 is read-only/],
    ['nomem', /out of bounds memory store at PC \d+ .*address 0x0,/],
    // Helpers charge the budget for the bytes they move: 13 copies of 60 KB exhaust 100,000.
    ['copier', /helper my_memcpy failed .*instruction budget exhausted: this call costs 7500/],
  ] as const) {
    it(`${name}: closes its connection with a clear error; another connection carries on`, () => {
      const broken = PluginRuntime.load([manifest(`broken/${name}.plugin`)], { fuel: 100_000, heapSize: 64 * 1024 });
      const victim = makePair();
      const [inst] = broken.inject(victim.client);
      const bystander = makePair();
      runUntil(victim, () => victim.client.state === 'closed' || victim.client.state === 'closing' || victim.client.state === 'draining', { maxSteps: 200 });
      const t = terminated(victim.clientEvents)!;
      expect(t.errorCode).toBe(TransportErrorCode.INTERNAL_ERROR);
      expect(t.reason).toMatch(new RegExp(`plugin test\\.broken\\.${name} failed in `));
      expect(t.reason).toMatch(why);
      expect(inst!.failure?.message).toBe(t.reason);
      // Its hooks are gone, and the server learnt why the connection ended.
      expect(victim.client.protoops.entry('update_rtt', NO_PARAM)!.pre.length + victim.client.protoops.entry('update_rtt', NO_PARAM)!.post.length).toBe(0);
      runUntil(victim, () => victim.server?.state === 'draining' || victim.server?.state === 'closed', { maxSteps: 100 });
      if (victim.server) expect(terminated(victim.serverEvents)).toMatchObject({ errorCode: TransportErrorCode.INTERNAL_ERROR, byPeer: true });
      handshake(bystander);
      expect(transfer(bystander)).toBe(true);
      expect(broken.stats()[0]!.failures).toBe(1);
    });
  }

  it('a pluglet that frees the buffer the host granted it fails alone; the host releases the buffer', () => {
    // Verified, the load is refused: the verifier sees the pointer is the grant.
    expect(() => PluginRuntime.load([manifest('broken/freegrant.plugin')])).toThrow(/rejected by the verifier/);
    // Unverified, the host refuses the free at run time: the plugin fails, no exception escapes.
    const rt = PluginRuntime.load([manifest('broken/freegrant.plugin')], { verify: 'off' });
    const victim = makePair();
    const [inst] = rt.inject(victim.client);
    runUntil(victim, () => victim.client.state === 'closed' || victim.client.state === 'closing' || victim.client.state === 'draining', { maxSteps: 200 });
    const t = terminated(victim.clientEvents)!;
    expect(t.errorCode).toBe(TransportErrorCode.INTERNAL_ERROR);
    expect(t.reason).toMatch(/plugin test\.broken\.freegrant failed in received_packet.*a buffer the host granted for this call/);
    expect(inst!.failure?.message).toBe(t.reason);
    expect(rt.stats()[0]!.failures).toBe(1);
  });

  it('an optional plugin that fails is removed and the connection goes on', () => {
    const rt = PluginRuntime.load([manifest('broken/oob_optional.plugin')]);
    const p = makePair();
    const [inst] = rt.inject(p.client);
    handshake(p);
    expect(inst!.failure?.message).toMatch(/out of bounds/);
    expect(transfer(p, 200_000)).toBe(true);
    expect(p.client.state).toBe('connected');
  });

  it('insertion is all or nothing', () => {
    const p = makePair();
    PluginRuntime.load([manifest('ack_delay/ack_delay.plugin')]).inject(p.client);
    // conflict.plugin observes update_rtt, then wants to replace is_ack_needed, which ack_delay holds.
    expect(() => PluginRuntime.load([manifest('broken/conflict.plugin')]).inject(p.client)).toThrow(/already replaced by be\.mpiraux\.ack_delay/);
    const rtt = p.client.protoops.entry('update_rtt', NO_PARAM)!;
    expect(rtt.pre.length).toBe(0);
    handshake(p);
    expect(transfer(p)).toBe(true);
  });

  it('reports unloadable plugins with file and line', () => {
    expect(() => PluginRuntime.load([manifest('broken/missing.plugin')])).toThrow(/cannot read .*missing\.plugin/);
  });
});

describe('plugin-defined protoops and plugin_run_protoop', () => {
  // Core operations take objects (a frame reader, a packet, a buffer); a plugin can only pass
  // numbers. Running one anyway fails that plugin with a clear error: nothing escapes.
  for (const name of ['parse', 'protect', 'tp', 'lost']) {
    it(`runcore_${name}: a core operation run with plain numbers fails the plugin alone`, () => {
      const rt = PluginRuntime.load([manifest(`broken/runcore_${name}.plugin`)]);
      const victim = makePair();
      const [inst] = rt.inject(victim.client);
      const bystander = makePair();
      expect(() => runUntil(victim, () => victim.client.state === 'closed' || victim.client.state === 'closing' || victim.client.state === 'draining', { maxSteps: 200 })).not.toThrow();
      const t = terminated(victim.clientEvents)!;
      expect(t.errorCode).toBe(TransportErrorCode.INTERNAL_ERROR);
      expect(t.reason).toMatch(new RegExp(`plugin test\\.broken\\.runcore_${name} failed in .*plugin_run_protoop: .* is a core operation`));
      expect(inst!.failure?.message).toBe(t.reason);
      handshake(bystander);
      expect(transfer(bystander)).toBe(true);
    });
  }

  it('a plugin defines an operation and calls it from another pluglet', () => {
    const p = makePair();
    const [inst] = PluginRuntime.load([manifest('runop/runop.plugin')]).inject(p.client);
    handshake(p);
    expect(inst!.failure).toBeUndefined();
    const rtt = Number(inst!.metadata(1));
    expect(rtt).toBeGreaterThan(0);
    expect(Number(inst!.metadata(0))).toBe(2 * rtt);
    expect(p.client.protoops.entry('double_it', NO_PARAM)?.replace?.owner).toBe('test.runop');
  });

  it('re-entering a running operation fails that plugin, not the process', () => {
    const rt = PluginRuntime.load([manifest('runop/recursion.plugin')]);
    const p = makePair();
    const [inst] = rt.inject(p.client);
    runUntil(p, () => p.client.state !== 'handshake' && p.client.state !== 'attempted', { maxSteps: 100 });
    expect(inst!.failure?.message).toMatch(/recurse\[?.*re-entered while running|re-entered while running/);
    expect(terminated(p.clientEvents)?.errorCode).toBe(TransportErrorCode.INTERNAL_ERROR);
    expect(rt.stats()[0]!.failures).toBe(1);
  });
});

describe('negotiated plugins (manifest option negotiate)', () => {
  const run = (serverToo: boolean) => {
    const rt = PluginRuntime.load([manifest('negotiate/negotiate.plugin')]);
    let ci: ReturnType<typeof rt.inject>[number] | undefined;
    const p = makePair({ beforeConnect: (c) => void ([ci] = rt.inject(c)) });
    if (serverToo) p.onServerCreated = (s) => void rt.inject(s);
    handshake(p);
    expect(transfer(p)).toBe(true);
    return ci!;
  };

  it('injects the pluglets after the - marker only once the peer announced the plugin', () => {
    const both = run(true);
    expect(both.negotiated).toBe(true);
    expect(Number(both.metadata(0))).toBeGreaterThan(0);
    const alone = run(false);
    expect(alone.negotiated).toBe(false);
    expect(Number(alone.metadata(0))).toBe(0);
  });
});
