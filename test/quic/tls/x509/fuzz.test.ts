/**
 * Fuzzing the X.509, PEM and private-key parsers: seeded mutations of real (openssl-made)
 * certificates and keys must either parse or throw our typed errors (CertificateError for
 * certificates, PemError for PEM and keys; an Asn1Error is tolerated but none should escape),
 * never anything else, and never take long. Whatever parses is then pushed through name
 * matching, signature and chain verification, which must obey the same rule. A failure prints
 * the seed, fixture and case; replay with X509_FUZZ_SEED=... (and X509_FUZZ_CASES=...).
 */

import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Asn1Error, encodeSequence } from '../../../../src/quic/tls/asn1.js';
import { PemError, loadCertificates, parsePrivateKey, pemDecode, pemEncode } from '../../../../src/quic/tls/pem.js';
import {
  CertificateError,
  matchesServerName,
  parseCertificate,
  signatureSchemesFor,
  verifyChain,
  verifySignedBy,
  type Certificate,
} from '../../../../src/quic/tls/x509.js';
import { CERT_FIXTURES, FIXTURE_NOW, fixtureDer, fixtureText } from './fixtures.js';
import { mutate, rng, tlvs } from './mutator.js';
import { shimProvider } from './shim-provider.js';

const SEED = Number(process.env.X509_FUZZ_SEED ?? 0x0c3a7e51);
const CASES = Number(process.env.X509_FUZZ_CASES ?? 260);
/** A single case taking this long means something is quadratic or looping. */
const SLOW_MS = 500;

const root = parseCertificate(fixtureDer('ec-root.pem'));
const int = parseCertificate(fixtureDer('ec-int.pem'));
const rsaRoot = parseCertificate(fixtureDer('rsa2048.pem'));

/** Runs `f`; returns an outcome label, or a problem string when it threw something it must not. */
function run(f: () => void, allowed: (e: unknown) => string | undefined): { outcome: string; problem?: string } {
  try {
    f();
    return { outcome: 'ok' };
  } catch (e) {
    const label = allowed(e);
    if (label !== undefined) return { outcome: label };
    return { outcome: 'bad', problem: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e) };
  }
}

const certErrors = (e: unknown): string | undefined =>
  e instanceof CertificateError ? `alert ${e.alert}` : e instanceof Asn1Error ? 'asn1' : undefined;
const pemErrors = (e: unknown): string | undefined =>
  e instanceof PemError ? 'pem' : e instanceof CertificateError ? `alert ${e.alert}` : e instanceof Asn1Error ? 'asn1' : undefined;

/** Everything a TLS stack does with a parsed peer certificate. */
function exercise(c: Certificate): void {
  for (const name of ['leaf.example', 'a.example.com', '127.0.0.1', '::1', 'cnonly.example']) matchesServerName(c, name);
  signatureSchemesFor(c.publicKey);
  const attempts: (() => void)[] = [
    () => verifySignedBy(shimProvider, c, c),
    () => verifySignedBy(shimProvider, c, int),
    () => verifyChain(shimProvider, [c, int], { trustAnchors: [root, rsaRoot], serverName: 'leaf.example', now: FIXTURE_NOW }),
    () => verifyChain(shimProvider, [c], { trustAnchors: [c], now: FIXTURE_NOW }),
  ];
  for (const attempt of attempts) {
    try {
      attempt();
    } catch (e) {
      if (!(e instanceof CertificateError)) throw e;
    }
  }
}

describe('X.509 fuzz', () => {
  const outcomes = new Map<string, number>();
  const count = (k: string): void => void outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
  const nodeDisagreements: string[] = [];

  it('has fixtures', () => {
    expect(CERT_FIXTURES.length).toBeGreaterThanOrEqual(15);
  });

  CERT_FIXTURES.forEach((name, fi) => {
    it(`${name}: ${CASES} mutations only give a certificate or a CertificateError (seed ${SEED})`, () => {
      const base = fixtureDer(name);
      const layout = tlvs(base);
      const donorName = CERT_FIXTURES[(fi + 1) % CERT_FIXTURES.length]!;
      const donor = fixtureDer(donorName);
      const donorLayout = tlvs(donor);
      expect(layout.length).toBeGreaterThan(30);
      const failures: string[] = [];
      for (let i = 0; i < CASES && failures.length < 3; i++) {
        const m = mutate(base, layout, donor, donorLayout, SEED + fi, i);
        const t0 = performance.now();
        let cert: Certificate | undefined;
        const parsed = run(() => {
          cert = parseCertificate(m.bytes);
        }, certErrors);
        let result = parsed;
        if (cert !== undefined) {
          const c = cert;
          result = run(() => exercise(c), certErrors);
          if (result.outcome === 'ok') {
            // Our parser is strict DER; what it accepts, OpenSSL (behind node) should accept too.
            try {
              new X509Certificate(m.bytes);
            } catch (e) {
              nodeDisagreements.push(`${name} case ${i} [${m.desc}]: node says ${(e as Error).message}`);
            }
            const again = run(() => void loadCertificates(pemEncode('CERTIFICATE', m.bytes)), pemErrors);
            if (again.problem !== undefined) result = again;
          }
        }
        const ms = performance.now() - t0;
        count(cert !== undefined ? 'parsed' : parsed.outcome);
        if (result.problem !== undefined || ms > SLOW_MS) {
          failures.push(`seed ${SEED + fi} fixture ${name} case ${i} [${m.desc}] (${ms.toFixed(0)} ms): ${result.problem ?? 'too slow'}`);
        }
      }
      expect(failures, failures.join('\n\n')).toEqual([]);
    });
  });

  it('mutations reach every kind of outcome, and node accepts whatever we accept', () => {
    // Guards against a mutator that only produces garbage rejected at the first byte.
    const summary = JSON.stringify([...outcomes]);
    expect(outcomes.get('parsed') ?? 0, summary).toBeGreaterThan(200);
    expect(outcomes.get('alert 50') ?? 0, summary).toBeGreaterThan(1000);
    expect(outcomes.get('alert 43') ?? 0, summary).toBeGreaterThan(10);
    expect(outcomes.get('asn1') ?? 0, summary).toBe(0);
    expect(nodeDisagreements.slice(0, 5), nodeDisagreements.join('\n')).toEqual([]);
  });
});

describe('private key and PEM fuzz', () => {
  const KEYS: [string, Uint8Array][] = [
    ['ec-leaf.key', fixtureDer('ec-leaf.key')],
    ['ec-leaf.sec1.key', pemDecode(fixtureText('ec-leaf.sec1.key'))[1]!.der],
    ['ed25519.key', fixtureDer('ed25519.key')],
    ['rsa2048.key', fixtureDer('rsa2048.key')],
    ['rsa2048.pkcs1.key', fixtureDer('rsa2048.pkcs1.key')],
  ];
  for (const [name, base] of KEYS) {
    it(`${name}: ${CASES} mutations only give a key or a PemError`, () => {
      const layout = tlvs(base);
      const failures: string[] = [];
      for (let i = 0; i < CASES && failures.length < 3; i++) {
        const m = mutate(base, layout, base, layout, SEED, i);
        const r = run(() => void parsePrivateKey(m.bytes), (e) => (e instanceof PemError ? 'pem' : undefined));
        if (r.problem !== undefined) failures.push(`seed ${SEED} ${name} case ${i} [${m.desc}]: ${r.problem}`);
      }
      expect(failures, failures.join('\n\n')).toEqual([]);
    });
  }

  it(`PEM chain text: ${CASES * 4} character mutations only give certificates, a PemError or a CertificateError`, () => {
    const text = fixtureText('ec-leaf.sec1.key') + fixtureText('ec-leaf.pem') + fixtureText('ec-int.pem');
    const alphabet = 'AZaz09+/=- \n\r:#BEGINDCERTIFICATE';
    const failures: string[] = [];
    for (let i = 0; i < CASES * 4 && failures.length < 3; i++) {
      const r = rng(SEED + i);
      const chars = [...text];
      const edits = 1 + Math.floor(r() * 3);
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(r() * chars.length);
        const op = Math.floor(r() * 3);
        const ch = alphabet[Math.floor(r() * alphabet.length)]!;
        if (op === 0) chars[at] = ch;
        else if (op === 1) chars.splice(at, 1);
        else chars.splice(at, 0, ch);
      }
      const mutated = chars.join('');
      for (const f of [() => void loadCertificates(mutated), () => void parsePrivateKey(mutated)]) {
        const res = run(f, pemErrors);
        if (res.problem !== undefined) failures.push(`seed ${SEED + i} PEM case ${i}: ${res.problem}`);
      }
    }
    expect(failures, failures.join('\n\n')).toEqual([]);
  });
});

describe('hostile shapes', () => {
  it('random bytes, with and without a plausible SEQUENCE header', () => {
    const r = rng(SEED);
    for (let i = 0; i < 2000; i++) {
      const n = Math.floor(r() * 300);
      const b = Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
      if (i % 2 === 0 && n > 4) {
        b[0] = 0x30;
        b[1] = 0x82;
        b[2] = (n - 4) >> 8;
        b[3] = (n - 4) & 0xff;
      }
      expect(run(() => void parseCertificate(b), certErrors).problem).toBeUndefined();
      expect(run(() => void parsePrivateKey(b), (e) => (e instanceof PemError ? 'pem' : undefined)).problem).toBeUndefined();
    }
  });

  it('100 000 nested SEQUENCEs are refused at the depth limit, not by a stack overflow', () => {
    let der = encodeSequence();
    for (let i = 0; i < 2000; i++) der = encodeSequence(der);
    const t0 = performance.now();
    expect(() => parseCertificate(der)).toThrow(CertificateError);
    // Hand-built, far deeper: 0x30 0x84 <len> repeated.
    const depth = 100_000;
    const deep = new Uint8Array(depth * 6);
    for (let i = 0; i < depth; i++) {
      const len = (depth - i - 1) * 6;
      deep.set([0x30, 0x84, len >>> 24, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff], i * 6);
    }
    const e = (() => {
      try {
        parseCertificate(deep);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(CertificateError);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('a length claiming 4 GiB is refused without allocating', () => {
    const b = new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x30, 0x00]);
    expect(() => parseCertificate(b)).toThrow(/exceeds the 2 remaining bytes/);
  });
});
