/**
 * Seeded mutation fuzzing of every parser entry point of TlsContext.receive: real flights of a
 * deterministic handshake (replayed key shares and randoms, Ed25519 signatures) are mutated and fed
 * to a fresh context in the state that expects them. Any outcome is fine except an exception that
 * is not a TlsAlert, an internal_error alert (a bug we did not anticipate), or a hang.
 */
import { describe, expect, it } from 'vitest';
import { GROUP_SECP256R1, type CryptoProvider, type KeyShare, type NamedGroup } from '../../../../src/quic/crypto/provider.js';
import { AlertDescription, HandshakeType } from '../../../../src/quic/tls/constants.js';
import { TlsAlert, alertName } from '../../../../src/quic/tls/alerts.js';
import type { Epoch, TlsConfig } from '../../../../src/quic/tls/context.js';
import { encodeNewSessionTicket } from '../../../../src/quic/tls/messages.js';
import { MemorySessionCache } from '../../../../src/quic/tls/session.js';
import { SessionTicketKey } from '../../../../src/quic/tls/ticket.js';
import { bytesEqual } from '../../../../src/quic/tls/wire.js';
import { CLIENT_PARAMS, PROVIDERS, SERVER_PARAMS, concat, makeSide, testPki, transfer, type Side } from './helpers.js';

/** xorshift32: small, seedable, good enough to pick mutations. */
class Rng {
  constructor(private s: number) {
    if (this.s === 0) this.s = 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.next() & 0xff);
  }
}

/** Key shares and randoms replayed, so every context of a kind sends byte-identical flights. */
function replaying(base: CryptoProvider): CryptoProvider {
  const shares = new Map<NamedGroup, KeyShare>();
  return {
    name: base.name,
    aead: (suite, key) => base.aead(suite, key),
    headerProtection: (suite, key) => base.headerProtection(suite, key),
    hash: (alg, data) => base.hash(alg, data),
    createHash: (alg) => base.createHash(alg),
    hmac: (alg, key, data) => base.hmac(alg, key, data),
    hkdfExtract: (alg, salt, ikm) => base.hkdfExtract(alg, salt, ikm),
    hkdfExpand: (alg, prk, info, length) => base.hkdfExpand(alg, prk, info, length),
    randomBytes: (n) => new Uint8Array(n).fill(0x42),
    generateKeyShare: (group) => {
      let share = shares.get(group);
      if (!share) {
        share = base.generateKeyShare(group);
        shares.set(group, share);
      }
      return share;
    },
    sharedSecret: (group, priv, peer) => base.sharedSecret(group, priv, peer),
    sign: (scheme, key, data) => base.sign(scheme, key, data),
    verify: (scheme, key, data, sig) => base.verify(scheme, key, data, sig),
    generateSigningKey: (kind) => base.generateSigningKey(kind),
  };
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

function mutate(rng: Rng, input: Uint8Array, corpus: Uint8Array[]): Uint8Array {
  let b: Uint8Array = input.slice();
  const rounds = 1 + rng.below(3);
  for (let i = 0; i < rounds; i++) {
    const at = rng.below(b.length);
    switch (rng.below(9)) {
      case 0: // bit flip
        if (b.length) b[at]! ^= 1 << rng.below(8);
        break;
      case 1: // interesting byte
        if (b.length) b[at] = INTERESTING[rng.below(INTERESTING.length)]!;
        break;
      case 2: // truncate
        b = b.slice(0, at);
        break;
      case 3: // insert random bytes
        b = concat(b.subarray(0, at), rng.bytes(1 + rng.below(8)), b.subarray(at));
        break;
      case 4: // delete a range
        b = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rng.below(16))));
        break;
      case 5: // duplicate a range
        b = concat(b.subarray(0, at), b.subarray(at, at + 1 + rng.below(32)), b.subarray(at));
        break;
      case 6: // clobber a length-like field
        if (b.length >= 2) {
          const v = [0, 1, 0xff, 0xffff, b.length, rng.below(0x10000)][rng.below(6)]!;
          b[at] = (v >> 8) & 0xff;
          if (at + 1 < b.length) b[at + 1] = v & 0xff;
        }
        break;
      case 7: // splice in part of another flight
        {
          const other = corpus[rng.below(corpus.length)]!;
          const from = rng.below(other.length);
          b = concat(b.subarray(0, at), other.subarray(from, from + 1 + rng.below(64)), b.subarray(at));
        }
        break;
      default: // garbage
        b = rng.bytes(rng.below(64));
    }
  }
  return b;
}

/** Delivers `data` in random chunks. */
function deliver(rng: Rng, side: Side, epoch: Epoch, data: Uint8Array): void {
  let o = 0;
  while (o < data.length) {
    const n = rng.below(4) === 0 ? data.length - o : 1 + rng.below(Math.max(1, data.length - o));
    side.ctx.receive(epoch, data.subarray(o, o + n));
    o += n;
  }
}

describe('TLS handshake fuzzing (seeded mutations of real flights)', () => {
  const base = PROVIDERS[0]![1];
  const pki = testPki(base, 'ed25519');
  const clientProvider = replaying(base);
  const serverProvider = replaying(base);
  const client = (extra: Partial<TlsConfig> = {}) =>
    makeSide({ isClient: true, provider: clientProvider, alpnProtocols: ['h3'], serverName: 'localhost', trustAnchors: [pki.ca], transportParameters: CLIENT_PARAMS, ...extra });
  const server = (extra: Partial<TlsConfig> = {}) =>
    makeSide({ isClient: false, provider: serverProvider, alpnProtocols: ['h3'], certificateChain: pki.chain, privateKey: pki.key, transportParameters: SERVER_PARAMS, ...extra });

  /** Runs a handshake, recording every flight. */
  const record = (serverExtra: Partial<TlsConfig> = {}, clientExtra: Partial<TlsConfig> = {}) => {
    const flights: { from: string; epoch: Epoch; data: Uint8Array }[] = [];
    const c = client(clientExtra);
    const s = server(serverExtra);
    c.ctx.start();
    const result = transfer(c, s, (from, epoch, data) => {
      flights.push({ from, epoch, data: data.slice() });
      return data;
    });
    expect(result).toEqual({});
    expect(c.ctx.handshakeComplete && s.ctx.handshakeComplete).toBe(true);
    return flights.map((f) => f.data);
  };

  const [clientHello, serverHello, serverFlight, clientFinished] = record() as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  const [hrrClientHello1, helloRetryRequest, hrrClientHello2] = record({ groups: [GROUP_SECP256R1] }) as [Uint8Array, Uint8Array, Uint8Array];
  const ticket = encodeNewSessionTicket({ ticketLifetime: 3600, ticketAgeAdd: 5, ticketNonce: Uint8Array.of(1), ticket: new Uint8Array(40).fill(7), extensions: [{ type: 42, data: Uint8Array.of(0xff, 0xff, 0xff, 0xff) }] });
  // Resumption: a first handshake leaves our server's ticket in the client's cache, a second one
  // offers it (pre_shared_key with a binder). A clock fixed for the run keeps the ticket bytes
  // reproducible (and inside the test certificate's validity).
  const startedAt = Date.now();
  const fixedNow = () => new Date(startedAt);
  const ticketServer = { sessionTicketKey: new SessionTicketKey(new Uint8Array(32).fill(9)), now: fixedNow };
  const sessionCache = new MemorySessionCache();
  const [, ticketServerHello, ticketServerFlight, , realTicket] = record(ticketServer, { sessionCache, now: fixedNow }) as Uint8Array[];
  const [resumedClientHello] = record(ticketServer, { sessionCache, now: fixedNow }) as [Uint8Array];
  // The same with 0-RTT: a ticket announcing it, then a ClientHello with early_data.
  const earlyServer = { ...ticketServer, acceptEarlyData: true };
  const earlyCache = new MemorySessionCache();
  record(earlyServer, { sessionCache: earlyCache, now: fixedNow });
  const [earlyClientHello] = record(earlyServer, { sessionCache: earlyCache, now: fixedNow, offerEarlyData: true }) as [Uint8Array];
  const corpus = [clientHello, serverHello, serverFlight, clientFinished, helloRetryRequest, hrrClientHello2, ticket, realTicket!, resumedClientHello];

  it('records a resumable ticket and a ClientHello offering it', () => {
    expect(realTicket![0]).toBe(HandshakeType.newSessionTicket);
    const s = server(ticketServer);
    s.ctx.receive('initial', resumedClientHello);
    expect(s.ctx.resumed).toBe(true);
    const e = server(earlyServer);
    e.ctx.receive('initial', earlyClientHello);
    expect(e.ctx.acceptedEarlyData).toBe(true);
  });

  it('replays byte-identical flights', () => {
    expect(record()).toEqual([clientHello, serverHello, serverFlight, clientFinished]);
    expect(serverFlight[0]).toBe(HandshakeType.encryptedExtensions);
    expect(helloRetryRequest[0]).toBe(HandshakeType.serverHello);
  });

  /**
   * `run` returns the context under test; `authenticated` targets are covered by a Finished MAC, so
   * a mutated input must never complete the handshake.
   */
  const targets: { name: string; cases: number; run: (rng: Rng, input: Uint8Array) => Side; input: Uint8Array; authenticated?: boolean }[] = [
    {
      name: 'server <- ClientHello',
      cases: 900,
      input: clientHello,
      run: (rng, m) => {
        const s = server();
        deliver(rng, s, 'initial', m);
        return s;
      },
    },
    {
      name: 'client <- ServerHello',
      cases: 500,
      input: serverHello,
      run: (rng, m) => {
        const c = client();
        c.ctx.start();
        deliver(rng, c, 'initial', m);
        c.ctx.receive('handshake', serverFlight);
        return c;
      },
      authenticated: true,
    },
    {
      name: 'client <- EncryptedExtensions..Finished',
      cases: 1200,
      input: serverFlight,
      run: (rng, m) => {
        const c = client();
        c.ctx.start();
        c.ctx.receive('initial', serverHello);
        deliver(rng, c, 'handshake', m);
        return c;
      },
      authenticated: true,
    },
    {
      name: 'server <- client Finished',
      cases: 300,
      input: clientFinished,
      run: (rng, m) => {
        const s = server();
        s.ctx.receive('initial', clientHello);
        deliver(rng, s, 'handshake', m);
        return s;
      },
      authenticated: true,
    },
    {
      name: 'client <- HelloRetryRequest',
      cases: 300,
      input: helloRetryRequest,
      run: (rng, m) => {
        const c = client();
        c.ctx.start();
        deliver(rng, c, 'initial', m);
        return c;
      },
    },
    {
      name: 'server <- second ClientHello',
      cases: 500,
      input: hrrClientHello2,
      run: (rng, m) => {
        const s = server({ groups: [GROUP_SECP256R1] });
        s.ctx.receive('initial', hrrClientHello1);
        deliver(rng, s, 'initial', m);
        return s;
      },
    },
    {
      name: 'client <- NewSessionTicket',
      cases: 300,
      input: ticket,
      run: (rng, m) => {
        const c = client();
        c.ctx.start();
        c.ctx.receive('initial', serverHello);
        c.ctx.receive('handshake', serverFlight);
        deliver(rng, c, 'oneRtt', m);
        return c;
      },
    },
    {
      name: 'server <- ClientHello with pre_shared_key',
      cases: 900,
      input: resumedClientHello,
      run: (rng, m) => {
        const s = server(ticketServer);
        deliver(rng, s, 'initial', m);
        return s;
      },
    },
    {
      name: 'server <- ClientHello with pre_shared_key and early_data',
      cases: 600,
      input: earlyClientHello,
      run: (rng, m) => {
        const s = server(earlyServer);
        deliver(rng, s, 'initial', m);
        return s;
      },
    },
    {
      name: 'client <- NewSessionTicket (kept in a session cache)',
      cases: 300,
      input: realTicket!,
      run: (rng, m) => {
        // A client with an (empty) cache lists psk_dhe_ke, so its handshake is the recorded one.
        const c = client({ sessionCache: new MemorySessionCache(), now: fixedNow });
        c.ctx.start();
        c.ctx.receive('initial', ticketServerHello!);
        c.ctx.receive('handshake', ticketServerFlight!);
        deliver(rng, c, 'oneRtt', m);
        return c;
      },
    },
  ];

  it.each(targets.map((t) => [t.name, t] as const))('%s', (_name, target) => {
    // The unmutated input is accepted.
    const baseline = target.run(new Rng(1), target.input);
    if (target.authenticated) expect(baseline.ctx.handshakeComplete).toBe(true);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < target.cases; i++) {
      const seed = (i + 1) * 0x2545f491;
      const rng = new Rng(seed);
      const input = mutate(rng, target.input, corpus);
      let outcome: string;
      try {
        const side = target.run(rng, input);
        outcome = side.ctx.handshakeComplete ? 'complete' : 'waiting';
        if (target.authenticated && side.ctx.handshakeComplete && !bytesEqual(input, target.input)) {
          throw new Error(`case ${i} (seed ${seed}): a mutated flight completed the handshake`);
        }
      } catch (e) {
        if (!(e instanceof TlsAlert)) throw e instanceof Error && e.message.startsWith('case ') ? e : new Error(`case ${i} (seed ${seed}): ${String(e)}`, { cause: e });
        if (e.alert === AlertDescription.internalError) throw new Error(`case ${i} (seed ${seed}): internal_error ${e.message}`, { cause: e });
        outcome = alertName(e.alert);
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    if (process.env.TLS_FUZZ_VERBOSE) console.log(target.name, Object.fromEntries(outcomes));
    // The mutations reach past the framing: more than one kind of outcome.
    expect(outcomes.size).toBeGreaterThan(1);
    expect(outcomes.get('decode_error') ?? 0).toBeGreaterThan(0);
  });
});
