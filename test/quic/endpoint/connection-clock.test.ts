/**
 * Connection time bases (endpoint/connection-clock.ts): the session hands its connection times
 * counted from the connection's creation, so a server whose clock has passed 2^31 µs (35.8
 * minutes of uptime) runs its connections exactly as a freshly started one does, with small
 * integer times inside the core.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfiguration } from '../../../src/quic/config.js';
import { QuicConnection } from '../../../src/quic/connection/connection.js';
import type { PeerAddress } from '../../../src/quic/connection/types.js';
import { ConnectionClock, CONNECTION_EPOCH_US } from '../../../src/quic/endpoint/connection-clock.js';
import { QuicSession, type SessionHost } from '../../../src/quic/endpoint/session.js';
import type { QuicStream } from '../../../src/quic/endpoint/stream.js';
import { parseInvariantHeader } from '../../../src/quic/wire/header.js';
import { CLIENT_ADDR, SERVER_ADDR, serverCert } from '../connection/harness.js';

/** A host that keeps what a session sends, in order. */
class RecordingHost implements SessionHost {
  readonly out: Uint8Array[] = [];
  private readonly buf = new Uint8Array(65536);
  markDirty(): void {}
  send(data: Uint8Array): void {
    this.out.push(data.slice());
  }
  datagramBuffer(): Uint8Array {
    return this.buf;
  }
  sendDatagram(buf: Uint8Array, length: number): void {
    this.out.push(buf.slice(0, length));
  }
  cidIssued(): void {}
  cidRetired(): void {}
  sessionClosed(): void {}
  reportError(err: unknown): void {
    throw err;
  }
}

interface Run {
  /** One line per datagram and timer: what happened, when (µs after the clock's start), sizes. */
  trace: string[];
  /** The largest time either connection's core was handed. */
  maxCoreTimeUs: number;
  received: number;
}

const LINK_DELAY_US = 7_000;
const BODY = 300_000;

/**
 * A client and a server session on an in-memory link, driven the way the endpoint drives them
 * (receive, flush, timer with endpoint times), with the endpoint clock starting at `startUs`.
 * The server's connection is created 3 ms after the client's, as on a real link.
 */
function run(startUs: number): Run {
  const cert = serverCert();
  const trace: string[] = [];
  let now = startUs;
  let maxCoreTimeUs = 0;
  const clientHost = new RecordingHost();
  const serverHost = new RecordingHost();
  const clientClock = new ConnectionClock(now);
  const clientQuic = new QuicConnection(defaultConfiguration({ isClient: true, serverName: 'localhost', trustAnchors: [cert.cert] }), {
    now: clientClock.local(now), peerAddress: SERVER_ADDR,
  });
  clientQuic.connect(clientClock.local(now));
  const client = new QuicSession(clientHost, clientQuic, clientClock);
  let server: QuicSession | undefined;
  let received = 0;
  let stream: QuicStream | undefined;
  const wire: { at: number; to: 'server' | 'client'; data: Uint8Array }[] = [];
  const note = (s: QuicSession): void => {
    maxCoreTimeUs = Math.max(maxCoreTimeUs, s.quic.nowUs);
  };
  const flush = (s: QuicSession, host: RecordingHost, to: 'server' | 'client'): void => {
    s.flush(now, 1000);
    note(s);
    for (const d of host.out.splice(0)) {
      // 1-RTT datagrams by size; a handshake datagram's size varies by a byte or two from run
      // to run (an ECDSA signature's DER length), so only its kind is compared.
      const size = (d[0]! & 0x80) === 0 ? String(d.length) : 'long';
      trace.push(`${now - startUs} ${to === 'server' ? 'c>s' : 's>c'} ${size}`);
      wire.push({ at: now + LINK_DELAY_US, to, data: d });
    }
  };
  const deliver = (to: 'server' | 'client', data: Uint8Array): void => {
    const from: PeerAddress = to === 'server' ? CLIENT_ADDR : SERVER_ADDR;
    if (to === 'client') {
      client.receive(data, from, now);
      note(client);
      return;
    }
    if (server === undefined) {
      const h = parseInvariantHeader(data, 0, 8);
      if (h.form !== 'long') throw new Error('the first datagram to the server is an Initial');
      const clock = new ConnectionClock(now);
      const quic = new QuicConnection(defaultConfiguration({ isClient: false, certificateChain: [cert.certDer], privateKey: cert.privateKey }), {
        now: clock.local(now), peerAddress: from, originalDcid: h.dcid.slice(), peerCid: h.scid.slice(),
      });
      quic.receiveDatagram(data, from, clock.local(now));
      server = new QuicSession(serverHost, quic, clock);
      server.onStream((s) => s.onReadable(() => {
        const buf = new Uint8Array(64);
        while (s.read(buf) > 0);
        s.write(new Uint8Array(BODY), true);
      }));
      server.drain();
    } else {
      server.receive(data, from, now);
    }
    note(server);
  };

  const request = (): void => {
    stream = client.openStream();
    const buf = new Uint8Array(16384);
    stream.onReadable(() => {
      for (let n = stream!.read(buf); n > 0; n = stream!.read(buf)) received += n;
    });
    stream.write(new TextEncoder().encode('GET /\r\n'), true);
  };

  flush(client, clientHost, 'server');
  for (let steps = 0; steps < 20_000 && received < BODY; steps++) {
    // The next event: a datagram's arrival or a session's timer, whichever comes first.
    let next = Infinity;
    for (const w of wire) next = Math.min(next, w.at);
    for (const s of [client, server]) if (s?.deadline !== undefined) next = Math.min(next, s.deadline);
    if (next === Infinity) break;
    now = Math.max(now, next);
    for (let i = 0; i < wire.length; ) {
      if (wire[i]!.at <= now) deliver(wire[i]!.to, wire.splice(i, 1)[0]!.data);
      else i++;
    }
    for (const s of [client, server]) {
      if (s?.deadline !== undefined && s.deadline <= now) {
        trace.push(`${now - startUs} timer ${s === client ? 'client' : 'server'} ${s.deadline - startUs}`);
        s.deadline = undefined;
        s.timer(now);
        note(s);
      }
    }
    if (stream === undefined && client.handshakeCompleted !== undefined) request();
    flush(client, clientHost, 'server');
    if (server) flush(server, serverHost, 'client');
  }
  return { trace, maxCoreTimeUs, received };
}

describe('connection time bases', () => {
  it('maps endpoint time to connection time and back', () => {
    const clock = new ConnectionClock(2_500_000_000);
    expect(clock.local(2_500_000_000)).toBe(CONNECTION_EPOCH_US);
    expect(clock.local(2_500_123_456)).toBe(CONNECTION_EPOCH_US + 123_456);
    expect(clock.endpoint(clock.local(2_600_000_001))).toBe(2_600_000_001);
  });

  it('runs a connection pair identically with the endpoint clock at 0 and at 2.5e9 µs', () => {
    const low = run(0);
    const high = run(2_500_000_000);
    expect(low.received).toBe(BODY);
    expect(high.received).toBe(BODY);
    // Same datagrams (sizes, order, times relative to the start) and the same timers.
    expect(high.trace.length).toBeGreaterThan(100);
    expect(high.trace).toEqual(low.trace);
    // The cores only saw times counted from their creation: small integers (Smis on x64).
    expect(high.maxCoreTimeUs).toBeLessThan(2 ** 31 - 1);
    expect(high.maxCoreTimeUs).toBe(low.maxCoreTimeUs);
  });
});
