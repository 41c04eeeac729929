/**
 * An in-memory client/server TLS pair (aioquic's test pattern): `runHandshake` moves each side's
 * output into the other's `receive` at the same epoch until nothing moves, optionally through a
 * tamper hook, and reports which side failed with which alert.
 */
import type { CipherSuite, CryptoProvider, PrivateKey } from '../../../../src/quic/crypto/provider.js';
import { getProvider } from '../../../../src/quic/crypto/index.js';
import { TlsAlert } from '../../../../src/quic/tls/alerts.js';
import { generateSelfSigned } from '../../../../src/quic/tls/certgen.js';
import { TlsContext, type Epoch, type TlsConfig } from '../../../../src/quic/tls/context.js';
import { HandshakeReassembler, type HandshakeMessage } from '../../../../src/quic/tls/messages.js';
import type { Certificate } from '../../../../src/quic/tls/x509.js';

export const PROVIDERS: [string, CryptoProvider][] = [
  ['node', getProvider('node')],
  ['noble', getProvider('noble')],
];

export const CLIENT_PARAMS = Uint8Array.from([0x01, 0x02, 0x40, 0x64]);
export const SERVER_PARAMS = Uint8Array.from([0x03, 0x02, 0x45, 0xc0, 0x0e, 0x01, 0x04]);

export interface Pki {
  ca: Certificate;
  chain: Uint8Array[];
  key: PrivateKey;
}

const pkiCache = new Map<string, Pki>();

/** A CA and a leaf for localhost / 127.0.0.1 signed by it, cached per provider and key kind. */
export function testPki(provider: CryptoProvider, kind: 'ecdsa-p256' | 'ed25519' = 'ecdsa-p256', commonName = 'pquic-ts test CA'): Pki {
  const cacheKey = `${provider.name}/${kind}/${commonName}`;
  let pki = pkiCache.get(cacheKey);
  if (!pki) {
    const ca = generateSelfSigned(provider, { kind, commonName, isCA: true });
    const leaf = generateSelfSigned(provider, {
      kind,
      commonName: 'localhost',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      issuer: { cert: ca.cert, key: ca.privateKey },
    });
    pki = { ca: ca.cert, chain: [leaf.certDer], key: leaf.privateKey };
    pkiCache.set(cacheKey, pki);
  }
  return pki;
}

export interface SecretEvent {
  epoch: Epoch;
  direction: 'read' | 'write';
  suite: CipherSuite;
  secret: Uint8Array;
}

export interface Side {
  ctx: TlsContext;
  secrets: SecretEvent[];
  keyLog: string[];
}

export function makeSide(config: TlsConfig): Side {
  const secrets: SecretEvent[] = [];
  const keyLog: string[] = [];
  const ctx = new TlsContext({ keyLog: (line) => keyLog.push(line), ...config }, (epoch, direction, suite, secret) =>
    secrets.push({ epoch, direction, suite, secret }),
  );
  return { ctx, secrets, keyLog };
}

export interface PairOptions {
  client?: Partial<TlsConfig>;
  server?: Partial<TlsConfig>;
  pki?: Pki;
}

export function makePair(provider: CryptoProvider, opts: PairOptions = {}): { client: Side; server: Side } {
  const pki = opts.pki ?? testPki(provider);
  const client = makeSide({
    isClient: true,
    provider,
    alpnProtocols: ['h3'],
    serverName: 'localhost',
    trustAnchors: [pki.ca],
    transportParameters: CLIENT_PARAMS,
    ...opts.client,
  });
  const server = makeSide({
    isClient: false,
    provider,
    alpnProtocols: ['h3'],
    certificateChain: pki.chain,
    privateKey: pki.key,
    transportParameters: SERVER_PARAMS,
    ...opts.server,
  });
  return { client, server };
}

export type Tamper = (from: 'client' | 'server', epoch: Epoch, data: Uint8Array) => Uint8Array;

export interface HandshakeResult {
  clientError?: TlsAlert;
  serverError?: TlsAlert;
}

const FLIGHT_EPOCHS: Epoch[] = ['initial', 'zeroRtt', 'handshake', 'oneRtt'];

/** Moves data both ways until quiescent or until one side throws (its alert is returned). */
export function transfer(client: Side, server: Side, tamper?: Tamper): HandshakeResult {
  for (let round = 0; round < 20; round++) {
    let moved = false;
    for (const [from, src, dst] of [
      ['client', client, server],
      ['server', server, client],
    ] as const) {
      for (const epoch of FLIGHT_EPOCHS) {
        const out = src.ctx.takeOutput(epoch);
        if (!out) continue;
        moved = true;
        try {
          dst.ctx.receive(epoch, tamper ? tamper(from, epoch, out) : out);
        } catch (e) {
          if (!(e instanceof TlsAlert)) throw e;
          return from === 'client' ? { serverError: e } : { clientError: e };
        }
      }
    }
    if (!moved) return {};
  }
  throw new Error('handshake did not settle');
}

export function runHandshake(provider: CryptoProvider, opts: PairOptions = {}, tamper?: Tamper): { client: Side; server: Side } & HandshakeResult {
  const pair = makePair(provider, opts);
  pair.client.ctx.start();
  return { ...pair, ...transfer(pair.client, pair.server, tamper) };
}

/** Splits a flight into its handshake messages. */
export function splitMessages(flight: Uint8Array): HandshakeMessage[] {
  const r = new HandshakeReassembler();
  r.push(flight);
  const out: HandshakeMessage[] = [];
  for (let m = r.next(); m; m = r.next()) out.push(m);
  return out;
}

export { concatBytes as concat } from '../../../../src/quic/wire/bytes.js';

export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('pattern not found');
}

/** The alert `fn` throws (fails the test if it throws anything else or nothing). */
export function alertOf(fn: () => void): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof TlsAlert) return e.alert;
    throw e;
  }
  throw new Error('expected a TlsAlert');
}
