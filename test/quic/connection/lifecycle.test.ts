import { describe, expect, it } from 'vitest';
import {
  CLIENT_ADDR, SERVER_ADDR, collectStream, handshake, makePair, runUntil, serverCert, type Pair,
} from './harness.js';
import { QuicConnection } from '../../../src/quic/connection/connection.js';
import { defaultConfiguration } from '../../../src/quic/config.js';
import { getProvider } from '../../../src/quic/crypto/index.js';
import { retryIntegrityTag } from '../../../src/quic/crypto/retry.js';
import { TLS_CHACHA20_POLY1305_SHA256, TLS_AES_256_GCM_SHA384 } from '../../../src/quic/crypto/provider.js';
import { appendRetryIntegrityTag, buildRetryWithoutTag } from '../../../src/quic/wire/retry.js';
import { buildVersionNegotiation } from '../../../src/quic/wire/version-negotiation.js';
import { parseInvariantHeader } from '../../../src/quic/wire/invariants.js';
import { NO_PARAM } from '../../../src/quic/protoop/names.js';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import type { ConnectionTerminated } from '../../../src/quic/events.js';

function longInvariant(d: Uint8Array): { dcid: Uint8Array; scid: Uint8Array } {
  const h = parseInvariantHeader(d, 0, 8);
  if (h.form !== 'long') throw new Error('expected a long header');
  return h;
}

const terminated = (events: { type: string }[]): ConnectionTerminated | undefined =>
  events.find((e) => e.type === 'connection_terminated') as ConnectionTerminated | undefined;

function echo(p: Pair, size: number): void {
  const id = p.client.createStream();
  p.client.sendStreamData(id, new Uint8Array(size).fill(7), true);
  expect(runUntil(p, () => collectStream(p.serverEvents, id).fin)).toBe(true);
  expect(collectStream(p.serverEvents, id).data.length).toBe(size);
}

describe('cipher suites and providers', () => {
  for (const [name, opts] of [
    ['ChaCha20-Poly1305 only', { client: { cipherSuites: [TLS_CHACHA20_POLY1305_SHA256] } }],
    ['AES-256-GCM only', { client: { cipherSuites: [TLS_AES_256_GCM_SHA384] } }],
    ['noble on both sides', { client: { crypto: 'noble' as const }, server: { crypto: 'noble' as const } }],
    ['noble client, node server', { client: { crypto: 'noble' as const } }],
  ] as const) {
    it(name, () => {
      const p = makePair(opts as Parameters<typeof makePair>[0]);
      handshake(p);
      echo(p, 50_000);
    });
  }
  it('uses the negotiated suite', () => {
    const p = makePair({ client: { cipherSuites: [TLS_CHACHA20_POLY1305_SHA256] } });
    handshake(p);
    expect(p.client.cipherSuite).toBe(TLS_CHACHA20_POLY1305_SHA256);
    expect(p.server!.cipherSuite).toBe(TLS_CHACHA20_POLY1305_SHA256);
  });
});

describe('closing', () => {
  it('application close reaches the peer, which drains then closes', () => {
    const p = makePair();
    handshake(p);
    p.client.close(42, 'bye', true, p.now);
    runUntil(p, () => p.server!.state === 'closed' && p.client.state === 'closed', { maxSteps: 200 });
    const t = terminated(p.serverEvents)!;
    expect(t).toMatchObject({ errorCode: 42, reason: 'bye', application: true, byPeer: true });
    expect(terminated(p.clientEvents)).toMatchObject({ errorCode: 42, byPeer: false, cause: 'closed' });
    expect(p.client.state).toBe('closed');
    expect(p.server!.state).toBe('closed');
  });

  it('idle timeout closes silently', () => {
    const p = makePair({ client: { maxIdleTimeoutMs: 2000 }, server: { maxIdleTimeoutMs: 5000 } });
    handshake(p);
    const start = p.now;
    runUntil(p, () => p.client.state === 'closed', { maxSteps: 100 });
    expect(terminated(p.clientEvents)).toMatchObject({ cause: 'idle_timeout' });
    expect(p.now - start).toBeGreaterThanOrEqual(2_000_000);
    expect(p.now - start).toBeLessThan(3_000_000);
  });

  it('idle timeout is not pushed back by retransmissions to a silent peer (RFC 9000 §10.1)', () => {
    const p = makePair({ client: { maxIdleTimeoutMs: 3000 } });
    const start = p.now;
    runUntil(p, () => p.client.state === 'closed', { link: () => [], maxSteps: 500 });
    expect(terminated(p.clientEvents)).toMatchObject({ cause: 'idle_timeout' });
    expect(p.now - start).toBeLessThan(3_500_000);
  });

  it('with no idle timeout on either end (0, RFC 9000 §10.1) a quiet connection has no timer and stays open', () => {
    const p = makePair({ client: { maxIdleTimeoutMs: 0 }, server: { maxIdleTimeoutMs: 0 } });
    handshake(p);
    echo(p, 5000);
    // Let every ACK and PTO settle, then nothing is left to time.
    runUntil(p, () => p.client.getTimer() === undefined && p.server!.getTimer() === undefined, { maxSteps: 200 });
    expect(p.client.getTimer()).toBeUndefined();
    expect(p.server!.getTimer()).toBeUndefined();
    p.now += 3_600_000_000;
    p.client.handleTimer(p.now);
    p.server!.handleTimer(p.now);
    expect(p.client.state).toBe('connected');
    expect(terminated(p.clientEvents)).toBeUndefined();
    echo(p, 5000);
  });

  it('an idle timeout on one end applies to both, and a closed connection has no timer', () => {
    const p = makePair({ client: { maxIdleTimeoutMs: 0 }, server: { maxIdleTimeoutMs: 1000 } });
    handshake(p);
    const start = p.now;
    runUntil(p, () => p.client.state === 'closed' && p.server!.state === 'closed', { maxSteps: 100 });
    expect(terminated(p.clientEvents)).toMatchObject({ cause: 'idle_timeout' });
    expect(p.now - start).toBeLessThan(1_500_000);
    expect(p.client.getTimer()).toBeUndefined();
  });

  it('an ALPN mismatch closes with CRYPTO_ERROR 0x178 (no_application_protocol)', () => {
    const p = makePair({ client: { alpnProtocols: ['h3'] } });
    runUntil(p, () => p.client.state === 'closed', { maxSteps: 100 });
    const t = terminated(p.clientEvents)!;
    expect(t.errorCode).toBe(0x100 + 120);
    expect(t.byPeer).toBe(true);
  });

  it('an untrusted certificate closes from the client with bad_certificate/unknown_ca', () => {
    const p = makePair({ client: { trustAnchors: [] } });
    runUntil(p, () => p.client.state === 'closed' && p.server?.state === 'closed', { maxSteps: 200 });
    const t = terminated(p.clientEvents)!;
    expect(t.errorCode).toBeGreaterThan(0x100);
    expect(t.byPeer).toBe(false);
    expect(terminated(p.serverEvents)?.errorCode).toBe(t.errorCode);
  });

  it('a peer exceeding flow control is closed with FLOW_CONTROL_ERROR', () => {
    const p = makePair({ server: { initialMaxStreamData: 1000 } });
    handshake(p);
    const id = p.client.createStream();
    // Cheat: raise the client's view of the server's limit so it overruns it.
    (p.client.streams as unknown as { streams: Map<number, { send: { onMaxStreamData(n: number): void } }> }).streams.get(id)!.send.onMaxStreamData(1 << 20);
    p.client.sendStreamData(id, new Uint8Array(5000), true);
    runUntil(p, () => p.server!.state !== 'connected', { maxSteps: 50 });
    expect(terminated(p.serverEvents)?.errorCode).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
  });
});

describe('Retry, version negotiation, stateless reset', () => {
  it('follows a Retry and echoes its token', () => {
    const p = makePair();
    const first = p.client.datagramsToSend(p.now)[0]!.data;
    const h = longInvariant(first);
    const retryScid = new Uint8Array(8).fill(0xaa);
    const token = new TextEncoder().encode('retry-token-123');
    const withoutTag = buildRetryWithoutTag({ version: 1, dcid: h.scid, scid: retryScid, token });
    const retry = appendRetryIntegrityTag(withoutTag, retryIntegrityTag(getProvider('node'), h.dcid, withoutTag));
    p.client.receiveDatagram(retry, SERVER_ADDR, p.now);
    const second = p.client.datagramsToSend(p.now)[0]!.data;
    const h2 = longInvariant(second);
    expect(Buffer.from(h2.dcid).equals(Buffer.from(retryScid))).toBe(true);
    expect(Buffer.from(second).includes(Buffer.from(token))).toBe(true);
    // A server that knows about the Retry completes the handshake.
    p.server = new QuicConnection(p.serverConfig, { now: p.now, peerAddress: CLIENT_ADDR, originalDcid: h.dcid, peerCid: h2.scid, retrySourceCid: retryScid, hostCid: new Uint8Array(8).fill(0xbb) });
    p.server.receiveDatagram(second, CLIENT_ADDR, p.now);
    handshake(p);
  });

  it('ignores a Retry with a bad integrity tag', () => {
    const p = makePair();
    const first = p.client.datagramsToSend(p.now)[0]!.data;
    const h = longInvariant(first);
    const withoutTag = buildRetryWithoutTag({ version: 1, dcid: h.scid, scid: new Uint8Array(8), token: new Uint8Array([1]) });
    p.client.receiveDatagram(appendRetryIntegrityTag(withoutTag, new Uint8Array(16)), SERVER_ADDR, p.now);
    p.server = undefined;
    handshake(p);
  });

  it('aborts on a Version Negotiation that does not list v1', () => {
    const p = makePair();
    const first = p.client.datagramsToSend(p.now)[0]!.data;
    const h = longInvariant(first);
    p.client.receiveDatagram(buildVersionNegotiation({ dcid: h.scid, scid: h.dcid, supportedVersions: [0xff00001d] }), SERVER_ADDR, p.now);
    expect(p.client.state).toBe('closed');
    expect(terminated([p.client.nextEvent()!])).toMatchObject({ cause: 'version_negotiation' });
  });

  it('ignores a Version Negotiation that lists v1', () => {
    const p = makePair();
    const first = p.client.datagramsToSend(p.now)[0]!.data;
    const h = longInvariant(first);
    p.client.receiveDatagram(buildVersionNegotiation({ dcid: h.scid, scid: h.dcid, supportedVersions: [1] }), SERVER_ADDR, p.now);
    expect(p.client.state).toBe('handshake');
  });

  it('recognises a stateless reset from the server', () => {
    const p = makePair();
    handshake(p);
    const token = p.server!.localParams.statelessResetToken!;
    const reset = new Uint8Array(40);
    getProvider('node').randomBytes(24).forEach((b, i) => (reset[i] = b));
    reset[0] = 0x40 | (reset[0]! & 0x3f);
    reset.set(token, 24);
    p.client.receiveDatagram(reset, SERVER_ADDR, p.now);
    expect(p.client.state).toBe('closed');
    const events: { type: string }[] = [];
    for (let e = p.client.nextEvent(); e; e = p.client.nextEvent()) events.push(e);
    expect(terminated(events)).toMatchObject({ cause: 'stateless_reset' });
  });
});

describe('robustness', () => {
  it('drops junk datagrams without closing or throwing', () => {
    const p = makePair();
    handshake(p);
    const rnd = getProvider('node');
    for (let i = 0; i < 2000; i++) {
      const junk = rnd.randomBytes(1 + (i % 1400));
      if (i % 3 === 0) junk[0] = 0x40 | (junk[0]! & 0x3f); // short header
      if (i % 3 === 1 && junk.length > 9) junk.set(p.client.hostCid, 1);
      p.client.receiveDatagram(junk, SERVER_ADDR, p.now);
      p.server!.receiveDatagram(junk, CLIENT_ADDR, p.now);
    }
    expect(p.client.state).toBe('connected');
    expect(p.server!.state).toBe('connected');
    echo(p, 10_000);
  });

  it('limits a server to 3x the bytes received before address validation', () => {
    const p = makePair();
    const initial = p.client.datagramsToSend(p.now)[0]!.data;
    const h = longInvariant(initial);
    const bigChain = Array.from({ length: 8 }, () => serverCert().certDer);
    const server = new QuicConnection(defaultConfiguration({ isClient: false, certificateChain: bigChain, privateKey: serverCert().privateKey }), {
      now: p.now, peerAddress: CLIENT_ADDR, originalDcid: h.dcid, peerCid: h.scid,
    });
    server.receiveDatagram(initial, CLIENT_ADDR, p.now);
    let sent = 0;
    for (let t = 0; t < 5; t++) {
      for (const d of server.datagramsToSend(p.now + t * 1_000_000)) sent += d.data.length;
      server.handleTimer(p.now + t * 1_000_000 + 1);
    }
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThanOrEqual(3 * initial.length);
  });
});

describe('streams', () => {
  it('opens more streams than MAX_STREAMS allows at once as credit returns', () => {
    const p = makePair({ server: { initialMaxStreamsBidi: 10 } });
    handshake(p);
    const done = new Set<number>();
    let opened = 0;
    const total = 60;
    const ok = runUntil(p, () => {
      while (opened < total && p.client.canCreateStream()) {
        const id = p.client.createStream();
        p.client.sendStreamData(id, new TextEncoder().encode(`req ${opened}`), true);
        opened++;
      }
      for (const e of p.serverEvents) {
        if (e.type === 'stream_data' && e.fin && !done.has(e.streamId)) {
          done.add(e.streamId);
          p.server!.sendStreamData(e.streamId, new TextEncoder().encode('ok'), true);
        }
      }
      return p.clientEvents.filter((e) => e.type === 'stream_data' && e.fin).length === total;
    }, { maxSteps: 3000 });
    expect(ok).toBe(true);
    expect(opened).toBe(total);
  });

  it('copies application data: a reused Node Buffer does not change what was sent', () => {
    const p = makePair();
    handshake(p);
    const id = p.client.createStream();
    const buf = Buffer.alloc(5000, 1);
    p.client.sendStreamData(id, buf, true);
    buf.fill(2);
    runUntil(p, () => collectStream(p.serverEvents, id).fin);
    expect(collectStream(p.serverEvents, id).data.every((b) => b === 1)).toBe(true);
  });

  it('RESET_STREAM and STOP_SENDING reach the peer', () => {
    const p = makePair();
    handshake(p);
    const a = p.client.createStream();
    p.client.sendStreamData(a, new Uint8Array(100));
    runUntil(p, () => p.serverEvents.some((e) => e.type === 'stream_data' && e.streamId === a));
    p.client.resetStream(a, 7);
    runUntil(p, () => p.serverEvents.some((e) => e.type === 'stream_reset'));
    expect(p.serverEvents.find((e) => e.type === 'stream_reset')).toMatchObject({ streamId: a, errorCode: 7, finalSize: 100 });
    const b = p.client.createStream();
    p.client.sendStreamData(b, new Uint8Array(10), true);
    runUntil(p, () => collectStream(p.serverEvents, b).fin);
    p.client.stopSending(b, 9);
    runUntil(p, () => p.serverEvents.some((e) => e.type === 'stop_sending'));
    expect(p.serverEvents.find((e) => e.type === 'stop_sending')).toMatchObject({ streamId: b, errorCode: 9 });
    runUntil(p, () => p.clientEvents.some((e) => e.type === 'stream_reset' && e.streamId === b));
    expect(p.clientEvents.find((e) => e.type === 'stream_reset' && e.streamId === b)).toMatchObject({ errorCode: 9 });
  });

  it('grows flow-control windows with the transfer', () => {
    const p = makePair({ client: { initialMaxStreamData: 16_384, initialMaxData: 32_768 } });
    handshake(p);
    const id = p.client.createStream();
    p.client.sendStreamData(id, new TextEncoder().encode('GET /big\r\n'), true);
    runUntil(p, () => collectStream(p.serverEvents, id).fin);
    p.server!.sendStreamData(id, new Uint8Array(2_000_000), true);
    expect(runUntil(p, () => collectStream(p.clientEvents, id).fin, { maxSteps: 20000 })).toBe(true);
    expect(p.client.streams.recvWindow.windowSize).toBeGreaterThan(32_768);
  });
});

describe('1-RTT key update, migration, connection IDs', () => {
  it('updates keys on request and the peer follows', () => {
    const p = makePair();
    handshake(p);
    echo(p, 1000);
    expect(p.client.keyPhase).toBe(0);
    expect(p.client.requestKeyUpdate(p.now)).toBe(true);
    expect(p.client.requestKeyUpdate(p.now)).toBe(false); // not before the first is acknowledged
    echo(p, 20_000);
    expect(p.client.keyPhase).toBe(1);
    expect(p.server!.keyPhase).toBe(1);
    runUntil(p, () => p.client.requestKeyUpdate(p.now), { maxSteps: 50 });
    echo(p, 20_000);
    expect(p.server!.keyPhase).toBe(0);
  });

  it('issues spare connection IDs after the handshake', () => {
    const p = makePair();
    handshake(p);
    runUntil(p, () => p.client.activeHostCids.length >= 4 && p.serverEvents.filter((e) => e.type === 'connection_id_issued').length >= 3, { maxSteps: 50 });
    expect(p.server!.activeHostCids.length).toBe(4);
  });

  it('validates a new client address with PATH_CHALLENGE (NAT rebinding)', () => {
    const p = makePair();
    handshake(p);
    const id = p.client.createStream();
    p.client.sendStreamData(id, new Uint8Array(100), false);
    const moved = { address: '10.0.0.9', port: 999 };
    for (const d of p.client.datagramsToSend(p.now)) p.server!.receiveDatagram(d.data, moved, p.now);
    expect(p.server!.peerAddress).toEqual(moved);
    const out = p.server!.datagramsToSend(p.now);
    expect(out.some((d) => d.to.address === '10.0.0.9')).toBe(true);
  });
});

describe('protoops', () => {
  it('lets a hook observe and replace core operations', () => {
    const p = makePair();
    const rtts: number[] = [];
    p.client.protoops.attach('update_rtt', NO_PARAM, 'post', { owner: 'test', fn: (c) => void rtts.push(c.args[0] as number) });
    let replaced = 0;
    p.client.protoops.attach('is_ack_needed', NO_PARAM, 'replace', {
      owner: 'test',
      fn: (c) => {
        replaced++;
        return p.client.spaces[c.args[0] as 0 | 1 | 2].ack.isAckNeeded(c.args[1] as number);
      },
    });
    const frames: number[] = [];
    p.server = undefined;
    handshake(p);
    // STREAM frames are eight frame types (0x08-0x0f): one param each, as in PQUIC.
    for (let t = 0x08; t <= 0x0f; t++) p.client.protoops.attach('process_frame', t, 'pre', { owner: 'test', fn: () => void frames.push(t) });
    echo(p, 10);
    const id = p.client.createStream();
    p.client.sendStreamData(id, new Uint8Array(1), true);
    runUntil(p, () => collectStream(p.serverEvents, id).fin);
    p.server!.sendStreamData(id, new Uint8Array(5), true);
    runUntil(p, () => collectStream(p.clientEvents, id).fin);
    expect(rtts.length).toBeGreaterThan(0);
    expect(replaced).toBeGreaterThan(0);
    expect(frames.length).toBeGreaterThan(0);
  });

  it('sends unknown frame types to the NO_PARAM defaults, which a plugin may replace', () => {
    const p = makePair();
    handshake(p);
    const seen: number[] = [];
    p.server!.protoops.attach('parse_frame', NO_PARAM, 'replace', { owner: 'any', fn: (c) => ({ type: 'opaque', t: c.args[1], v: (c.args[0] as { u8(): number }).u8() }) });
    p.server!.protoops.attach('process_frame', NO_PARAM, 'replace', { owner: 'any', fn: (c) => void seen.push((c.args[0] as { t: number }).t) });
    let sent = false;
    p.client.protoops.attach('schedule_frames_on_path', NO_PARAM, 'pre', { owner: 'x', fn: (c) => {
      if (sent) return;
      const w = c.args[0] as { u8(v: number): void };
      w.u8(0x40); w.u8(0x77); w.u8(1);
      sent = true;
      (c.args[1] as unknown[]).push({ k: 'ping' });
    } });
    p.client.ping();
    runUntil(p, () => seen.length > 0, { maxSteps: 20 });
    expect(seen).toEqual([0x77]);
    expect(p.server!.state).toBe('connected');
  });

  it('dispatches an unknown frame type to a plugin-provided parse/process', () => {
    const p = makePair();
    handshake(p);
    const seen: number[] = [];
    p.server!.protoops.attach('parse_frame', 0x42, 'replace', { owner: 'x', fn: (c) => {
      const r = c.args[0] as { u8(): number };
      return { type: 'plugin', value: r.u8() };
    } });
    p.server!.protoops.attach('process_frame', 0x42, 'replace', { owner: 'x', fn: (c) => void seen.push((c.args[0] as { value: number }).value) });
    // Without the plugin the client would not send it: write one by hand through schedule_frames_on_path.
    let sent = false;
    p.client.protoops.attach('schedule_frames_on_path', NO_PARAM, 'pre', { owner: 'x', fn: (c) => {
      if (sent) return;
      const w = c.args[0] as { u8(v: number): void };
      w.u8(0x40); w.u8(0x42); w.u8(99); // varint 0x42 in 2 bytes, then the payload
      sent = true;
      (c.args[1] as unknown[]).push({ k: 'ping' });
    } });
    p.client.ping();
    runUntil(p, () => seen.length > 0, { maxSteps: 20 });
    expect(seen).toEqual([99]);
    // A frame type nobody knows closes the connection with FRAME_ENCODING_ERROR.
    let sent2 = false;
    p.client.protoops.attach('schedule_frames_on_path', NO_PARAM, 'post', { owner: 'y', fn: (c) => {
      if (sent2) return;
      const w = c.args[0] as { u8(v: number): void };
      w.u8(0x40); w.u8(0x43);
      sent2 = true;
      (c.args[1] as unknown[]).push({ k: 'ping' });
    } });
    p.client.ping();
    runUntil(p, () => p.server!.state !== 'connected', { maxSteps: 20 });
    expect(terminated(p.serverEvents)).toMatchObject({ errorCode: TransportErrorCode.FRAME_ENCODING_ERROR, frameType: 0x43 });
  });
});

describe('hooks for forward erasure correction', () => {
  it('a lost packet rebuilt from its plaintext is delivered and never retransmitted', () => {
    const p = makePair();
    handshake(p);
    const server = p.server!;
    // Sender side: keep each 1-RTT packet's plaintext, leave 10 bytes of every packet to others.
    const plaintext = new Map<number, Uint8Array>();
    server.protoops.attach('finalize_and_protect_packet', NO_PARAM, 'pre', { owner: 'fec', fn: (c) => void plaintext.set(c.args[1] as number, (c.args[2] as Uint8Array).slice(0, c.args[3] as number)) });
    server.protoops.attach('stream_bytes_max', NO_PARAM, 'replace', { owner: 'fec', fn: (c) => Math.max(0, (c.args[1] as number) - 10) });
    const lost: number[] = [];
    server.protoops.attach('packet_was_lost', NO_PARAM, 'pre', { owner: 'fec', fn: (c) => void lost.push((c.args[0] as { pn: number }).pn) });
    const id = p.client.createStream();
    p.client.sendStreamData(id, new TextEncoder().encode('GET /\r\n'), true);
    runUntil(p, () => collectStream(p.serverEvents, id).fin);
    const body = new Uint8Array(100_000).map((_, i) => (i * 31) & 0xff);
    server.sendStreamData(id, body, true);
    // Drop the 5th server datagram from now on; then hand its rebuilt payload to the client.
    let n = 0;
    let droppedPn: number | undefined;
    const link = (datagrams: Uint8Array[], dir: 'c2s' | 's2c') => (dir === 'c2s' ? datagrams : datagrams.filter(() => ++n !== 5));
    // Find which packet number the dropped datagram carried: the one the client never receives.
    const seen = new Set<number>();
    p.client.protoops.attach('received_packet', NO_PARAM, 'pre', { owner: 'fec', fn: (c) => void seen.add(c.args[1] as number) });
    let recovered = false;
    runUntil(p, () => {
      if (!recovered && n >= 8) {
        const sentPns = [...plaintext.keys()];
        const missing = sentPns.filter((pn) => pn <= Math.max(...seen) && !seen.has(pn));
        if (missing.length === 1) {
          droppedPn = missing[0]!;
          p.client.processRecoveredPayload(plaintext.get(droppedPn)!, p.now);
          expect(server.onPacketRecovered(droppedPn, p.now)).toBe(true);
          recovered = true;
        }
      }
      return collectStream(p.clientEvents, id).fin;
    }, { link, maxSteps: 5000 });
    expect(recovered).toBe(true);
    expect(Buffer.compare(collectStream(p.clientEvents, id).data, body)).toBe(0);
    expect(lost).not.toContain(droppedPn);
    expect(server.stats.packetsLost).toBe(0);
    // stream_bytes_max left 10 bytes free in every packet.
    for (const payload of plaintext.values()) expect(payload.length).toBeLessThanOrEqual(p.serverConfig.maxDatagramSize - 10);
  });
});
