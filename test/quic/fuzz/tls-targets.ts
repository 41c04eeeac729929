/**
 * Fuzz targets for TLS (src/quic/tls): the client and server handshake state machines fed
 * mutated flights of a real handshake, and the certificate / private key / PEM parsers fed
 * structure-aware DER mutations (test/quic/tls/x509/mutator.ts).
 *
 * Contract, handshake: `receive` returns or throws a TlsAlert (which the connection turns into
 * CRYPTO_ERROR 0x100 + alert, RFC 9001 §4.8), never internal_error (an unanticipated failure);
 * a flight covered by the Finished MAC (RFC 8446 §4.4.4) never completes the handshake once
 * mutated. Contract, certificates: a Certificate or a CertificateError (PemError for PEM and
 * keys); an Asn1Error escaping the X.509 layer is a violation, since TLS maps only
 * CertificateError to an alert.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { GROUP_SECP256R1, GROUP_X25519, type CryptoProvider, type KeyShare, type NamedGroup } from '../../../src/quic/crypto/provider.js';
import { TlsAlert, alertName } from '../../../src/quic/tls/alerts.js';
import { AlertDescription } from '../../../src/quic/tls/constants.js';
import type { Epoch, TlsConfig } from '../../../src/quic/tls/context.js';
import { PemError, loadCertificates, parsePrivateKey, pemEncode } from '../../../src/quic/tls/pem.js';
import { encodeNewSessionTicket } from '../../../src/quic/tls/messages.js';
import { bytesEqual } from '../../../src/quic/tls/wire.js';
import { CertificateError, matchesServerName, parseCertificate, verifyChain, verifySignedBy, type Certificate } from '../../../src/quic/tls/x509.js';
import { CLIENT_PARAMS, PROVIDERS, SERVER_PARAMS, makeSide, transfer, type Side } from '../tls/handshake/helpers.js';
import { CERT_FIXTURES, FIXTURE_NOW, fixtureDer, fixtureText } from '../tls/x509/fixtures.js';
import { mutate as mutateDer, tlvs } from '../tls/x509/mutator.js';
import { shimProvider } from '../tls/x509/shim-provider.js';
import type { Prng } from '../wire/prng.js';
import { mutatedInput } from './wire-targets.js';
import { type FuzzCase, type FuzzTarget, ensure, typedOutcome } from './runner.js';

/**
 * The base provider with fixed randoms and fixed key shares. With the openssl-made Ed25519
 * certificate (deterministic signatures, RFC 8032) and a fixed clock, every handshake sends
 * the same bytes in every process: a recorded flight fits any fresh context, and a seed and
 * case replay the same input anywhere.
 */
function replayingProvider(base: CryptoProvider): CryptoProvider {
  const secret = new Uint8Array(32).fill(0x2b);
  const shares: Record<NamedGroup, KeyShare> = {
    [GROUP_X25519]: { group: GROUP_X25519, privateKey: secret, publicKey: x25519.getPublicKey(secret) },
    [GROUP_SECP256R1]: { group: GROUP_SECP256R1, privateKey: secret, publicKey: p256.getPublicKey(secret, false) },
  };
  const p = Object.create(base) as CryptoProvider & { randomBytes: CryptoProvider['randomBytes']; generateKeyShare: CryptoProvider['generateKeyShare'] };
  p.randomBytes = (n) => new Uint8Array(n).fill(0x5c);
  p.generateKeyShare = (group) => shares[group];
  return p;
}

interface Scenario {
  name: string;
  /** The recorded flight this scenario mutates. */
  flight: Uint8Array;
  /** A fresh context brought to the state that expects the flight; `deliver` feeds it. */
  run(deliver: (side: Side, epoch: Epoch) => void): Side;
  /** Under the Finished MAC: a mutated copy must never complete the handshake. */
  authenticated: boolean;
}

interface Flights {
  scenarios: Scenario[];
  corpus: Uint8Array[];
}

let flights: Flights | undefined;

/** Records one full handshake (and one with HelloRetryRequest) and builds the scenarios. */
function recordFlights(): Flights {
  if (flights) return flights;
  const provider = replayingProvider(PROVIDERS[0]![1]);
  // A self-signed Ed25519 leaf for ed.example, trusted as its own anchor.
  const certDer = fixtureDer('ed25519.pem');
  const privateKey = parsePrivateKey(fixtureText('ed25519.key'));
  const anchor = parseCertificate(certDer);
  const now = () => FIXTURE_NOW;
  const client = (extra: Partial<TlsConfig> = {}): Side =>
    makeSide({ isClient: true, provider, alpnProtocols: ['h3'], serverName: 'ed.example', trustAnchors: [anchor], transportParameters: CLIENT_PARAMS, now, ...extra });
  const server = (extra: Partial<TlsConfig> = {}): Side =>
    makeSide({ isClient: false, provider, alpnProtocols: ['h3'], certificateChain: [certDer], privateKey, transportParameters: SERVER_PARAMS, now, ...extra });
  const record = (serverExtra: Partial<TlsConfig> = {}): Uint8Array[] => {
    const out: Uint8Array[] = [];
    const c = client();
    const s = server(serverExtra);
    c.ctx.start();
    const result = transfer(c, s, (_from, _epoch, data) => {
      out.push(data.slice());
      return data;
    });
    if (result.clientError || result.serverError || !c.ctx.handshakeComplete) throw new Error('the recorded handshake failed');
    return out;
  };
  const [clientHello, serverHello, serverFlight, clientFinished] = record() as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  // secp256r1 only on the server: the client's x25519 share draws a HelloRetryRequest (RFC 8446 §4.1.4).
  const hrrServer = { groups: [GROUP_SECP256R1 as NamedGroup] };
  const [hrrHello1, helloRetryRequest, hrrHello2] = record(hrrServer) as [Uint8Array, Uint8Array, Uint8Array];
  // RFC 8446 §4.6.1, in 1-RTT CRYPTO frames (RFC 9001 §4.1.3).
  const ticket = encodeNewSessionTicket({ ticketLifetime: 7200, ticketAgeAdd: 0x01020304, ticketNonce: Uint8Array.of(0), ticket: new Uint8Array(48).fill(0x7e), extensions: [{ type: 42, data: Uint8Array.of(0, 0, 0x40, 0) }] });
  const scenarios: Scenario[] = [
    { name: 'server<-ClientHello', flight: clientHello, authenticated: false, run: (d) => { const s = server(); d(s, 'initial'); return s; } },
    { name: 'client<-ServerHello', flight: serverHello, authenticated: true, run: (d) => {
      const c = client();
      c.ctx.start();
      d(c, 'initial');
      c.ctx.receive('handshake', serverFlight);
      return c;
    } },
    { name: 'client<-EncryptedExtensions..Finished', flight: serverFlight, authenticated: true, run: (d) => {
      const c = client();
      c.ctx.start();
      c.ctx.receive('initial', serverHello);
      d(c, 'handshake');
      return c;
    } },
    { name: 'server<-client Finished', flight: clientFinished, authenticated: true, run: (d) => {
      const s = server();
      s.ctx.receive('initial', clientHello);
      d(s, 'handshake');
      return s;
    } },
    { name: 'client<-HelloRetryRequest', flight: helloRetryRequest, authenticated: false, run: (d) => {
      const c = client();
      c.ctx.start();
      d(c, 'initial');
      return c;
    } },
    { name: 'server<-second ClientHello', flight: hrrHello2, authenticated: false, run: (d) => {
      const s = server(hrrServer);
      s.ctx.receive('initial', hrrHello1);
      d(s, 'initial');
      return s;
    } },
    { name: 'client<-NewSessionTicket', flight: ticket, authenticated: false, run: (d) => {
      // Without a cache: one would change the ClientHello (psk_dhe_ke) and the recorded flights would not fit.
      const c = client();
      c.ctx.start();
      c.ctx.receive('initial', serverHello);
      c.ctx.receive('handshake', serverFlight);
      d(c, 'oneRtt');
      return c;
    } },
  ];
  flights = { scenarios, corpus: [clientHello, serverHello, serverFlight, clientFinished, helloRetryRequest, hrrHello2, ticket] };
  return flights;
}

function handshakeCase(rng: Prng): FuzzCase {
  const { scenarios, corpus } = recordFlights();
  const sc = rng.pick(scenarios);
  // Mutate the flight itself most of the time, splice it with another flight otherwise.
  const { bytes, desc } = rng.chance(0.8)
    ? { bytes: rng.mutate(sc.flight), desc: 'flight mutated' }
    : mutatedInput(rng, [sc.flight, rng.pick(corpus)], 64);
  // CRYPTO frames may split a flight anywhere (RFC 9000 §19.6): deliver in random pieces.
  const cuts: number[] = [];
  for (let at = 0; at < bytes.length;) {
    at += rng.chance(0.3) ? bytes.length : 1 + rng.int(Math.max(1, bytes.length - at));
    cuts.push(Math.min(at, bytes.length));
  }
  return {
    input: bytes,
    desc: `${sc.name}: ${desc}, delivered in ${cuts.length} pieces`,
    check: () => {
      const { value: side, outcome } = typedOutcome(() => sc.run((s, epoch) => {
        let from = 0;
        for (const to of cuts) {
          s.ctx.receive(epoch, bytes.subarray(from, to));
          from = to;
        }
      }), [TlsAlert], (e) => alertName((e as TlsAlert).alert));
      if (side === undefined) {
        ensure(outcome !== alertName(AlertDescription.internalError), `${sc.name}: internal_error alert (an unanticipated failure)`);
        return `${sc.name} ${outcome}`;
      }
      const complete = side.ctx.handshakeComplete;
      ensure(!(sc.authenticated && complete && !bytesEqual(bytes, sc.flight)), `${sc.name}: a mutated flight completed the handshake`);
      return `${sc.name} ${complete ? 'complete' : 'waiting'}`;
    },
  };
}

/** The chain every mutated certificate is checked against, parsed once. */
let anchors: { root: Certificate; int: Certificate; rsaRoot: Certificate } | undefined;

/** What TLS does with a peer's certificate: name matching, signature and chain checks. */
function exercise(c: Certificate): void {
  anchors ??= { root: parseCertificate(fixtureDer('ec-root.pem')), int: parseCertificate(fixtureDer('ec-int.pem')), rsaRoot: parseCertificate(fixtureDer('rsa2048.pem')) };
  const { root, int, rsaRoot } = anchors;
  for (const name of ['leaf.example', 'a.example.com', '127.0.0.1', '::1']) matchesServerName(c, name);
  const steps = [
    () => verifySignedBy(shimProvider, c, int),
    () => verifyChain(shimProvider, [c, int], { trustAnchors: [root, rsaRoot], serverName: 'leaf.example', now: FIXTURE_NOW }),
    () => verifyChain(shimProvider, [c], { trustAnchors: [c], now: FIXTURE_NOW }),
  ];
  for (const step of steps) typedOutcome(step, [CertificateError]);
}

const KEY_FIXTURES = ['ec-leaf.key', 'ed25519.key', 'rsa2048.key', 'rsa2048.pkcs1.key'];
let derCache: Map<string, { der: Uint8Array; layout: ReturnType<typeof tlvs> }> | undefined;
function der(name: string): { der: Uint8Array; layout: ReturnType<typeof tlvs> } {
  derCache ??= new Map();
  let d = derCache.get(name);
  if (!d) {
    const bytes = fixtureDer(name);
    derCache.set(name, (d = { der: bytes, layout: tlvs(bytes) }));
  }
  return d;
}

function certificateCase(rng: Prng, index: number): FuzzCase {
  const isKey = rng.chance(0.2);
  const name = rng.pick(isKey ? KEY_FIXTURES : CERT_FIXTURES);
  const donorName = rng.pick(isKey ? KEY_FIXTURES : CERT_FIXTURES);
  const b = der(name);
  const d = der(donorName);
  const m = mutateDer(b.der, b.layout, d.der, d.layout, rng.u32(), index);
  const label = (e: Error): string => (e instanceof CertificateError ? `alert ${e.alert}` : e.name);
  return {
    input: m.bytes,
    desc: `${name} (donor ${donorName}): ${m.desc}`,
    check: () => {
      if (isKey) return `key ${typedOutcome(() => parsePrivateKey(m.bytes), [PemError], label).outcome}`;
      const { value: cert, outcome } = typedOutcome(() => parseCertificate(m.bytes), [CertificateError], label);
      if (cert === undefined) return outcome;
      exercise(cert);
      // The same bytes through PEM armour (a certificate file) parse the same way.
      const viaPem = typedOutcome(() => loadCertificates(pemEncode('CERTIFICATE', m.bytes)), [PemError, CertificateError], label);
      ensure(viaPem.value !== undefined && viaPem.value.length === 1, `PEM-armoured copy of a parsed certificate fails: ${viaPem.outcome}`);
      return 'parsed';
    },
  };
}

export const tlsTarget: FuzzTarget = { name: 'tls', makeCase: handshakeCase };
export const x509Target: FuzzTarget = { name: 'x509', makeCase: certificateCase };
