/**
 * PEM (RFC 7468) and private keys: PKCS#8 (RFC 5208 / RFC 5958) for P-256, Ed25519 (RFC 8410)
 * and RSA, SEC1 ECPrivateKey (RFC 5915) for P-256, and PKCS#1 RSAPrivateKey (RFC 8017 §A.1.2),
 * which we rewrap as PKCS#8. Certificates go through x509.ts.
 */

import {
  Asn1Error,
  DerReader,
  TAG_INTEGER,
  TAG_OCTET_STRING,
  TAG_OID,
  TAG_SEQUENCE,
  contextTag,
  encodeExplicit,
  encodeInteger,
  encodeNull,
  encodeOctetString,
  encodeOid,
  encodeSequence,
} from './asn1.js';
import type { PrivateKey } from '../crypto/provider.js';
import { ALERT_UNSUPPORTED_CERTIFICATE, CertificateError, OID, curveName, parseCertificate, type Certificate } from './x509.js';

/** A PEM or private-key format problem (not a certificate problem: those are CertificateError). */
export class PemError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PemError';
  }
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUES = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[BASE64.charCodeAt(i)] = i;
  return t;
})();

function base64Decode(text: string, label: string): Uint8Array {
  const s = text.replace(/[ \t\r\n]/g, '');
  if (s.length % 4 !== 0) throw new PemError(`PEM "${label}": base64 length is not a multiple of 4`);
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    let v = 0;
    for (let j = 0; j < 4; j++) {
      const c = s.charCodeAt(i + j);
      const isPad = c === 0x3d && i + 4 === s.length && j >= 4 - pad;
      const d = c < 128 ? BASE64_VALUES[c]! : -1;
      if (!isPad && d < 0) throw new PemError(`PEM "${label}": invalid base64 character ${JSON.stringify(s[i + j])}`);
      v = (v << 6) | (isPad ? 0 : d);
    }
    if (o < out.length) out[o++] = (v >> 16) & 0xff;
    if (o < out.length) out[o++] = (v >> 8) & 0xff;
    if (o < out.length) out[o++] = v & 0xff;
  }
  return out;
}

function base64Encode(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = b.length - i;
    const v = (b[i]! << 16) | ((n > 1 ? b[i + 1]! : 0) << 8) | (n > 2 ? b[i + 2]! : 0);
    s += BASE64[(v >> 18) & 63]! + BASE64[(v >> 12) & 63]!;
    s += n > 1 ? BASE64[(v >> 6) & 63]! : '=';
    s += n > 2 ? BASE64[v & 63]! : '=';
  }
  return s;
}

const BEGIN = /^-----BEGIN ([\x21-\x2c\x2e-\x7e](?:[- ]?[\x21-\x2c\x2e-\x7e])*)?-----[ \t]*$/;
const END = /^-----END ([\x21-\x2c\x2e-\x7e](?:[- ]?[\x21-\x2c\x2e-\x7e])*)?-----[ \t]*$/;

/**
 * Decodes every PEM block in `text` (RFC 7468 §2; text outside blocks is ignored, as OpenSSL
 * does). Throws PemError when there is no block, a block is unterminated or its END label
 * differs, the base64 is invalid, or the block is a legacy encrypted one (with headers).
 */
export function pemDecode(text: string): { label: string; der: Uint8Array }[] {
  const lines = text.split(/\r?\n|\r/);
  const blocks: { label: string; der: Uint8Array }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const begin = BEGIN.exec(lines[i]!.trim());
    if (begin === null) {
      if (lines[i]!.includes('-----BEGIN')) throw new PemError(`malformed PEM BEGIN line ${i + 1}`);
      continue;
    }
    const label = begin[1] ?? '';
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j]!.trim();
      if (line.startsWith('-----')) break;
      // RFC 1421 headers ("Proc-Type: 4,ENCRYPTED", "DEK-Info: ...") mean a legacy encrypted key.
      if (line.includes(':')) throw new PemError(`PEM "${label}" has headers (legacy encryption is not supported)`);
      body.push(line);
    }
    const end = j < lines.length ? END.exec(lines[j]!.trim()) : null;
    if (end === null) throw new PemError(`PEM "${label}" starting on line ${i + 1} has no END line`);
    if ((end[1] ?? '') !== label) throw new PemError(`PEM BEGIN "${label}" closed by END "${end[1] ?? ''}" on line ${j + 1}`);
    blocks.push({ label, der: base64Decode(body.join(''), label) });
    i = j;
  }
  if (blocks.length === 0) throw new PemError('no PEM block found');
  return blocks;
}

/** RFC 7468 §2: base64 in 64-character lines between BEGIN and END lines. */
export function pemEncode(label: string, der: Uint8Array): string {
  const b64 = base64Encode(der);
  let body = '';
  for (let i = 0; i < b64.length; i += 64) body += b64.slice(i, i + 64) + '\n';
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

/** Text when the bytes look like PEM (start with "-----" after whitespace), else undefined. */
function asPemText(b: Uint8Array): string | undefined {
  // A UTF-8 byte order mark, as some editors write.
  let i = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d)) i++;
  if (b[i] !== 0x2d) return undefined;
  let s = '';
  for (let j = i; j < b.length; j++) s += String.fromCharCode(b[j]!);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Private keys

/**
 * Parses a private key from PEM text ("PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"; an
 * "EC PARAMETERS" block before it is skipped) or from DER (PKCS#8, SEC1 or PKCS#1, told apart by
 * their structure). RSA keys keep their PKCS#8 DER (kind 'rsa'). Throws PemError.
 */
export function parsePrivateKey(pemOrDer: string | Uint8Array): PrivateKey {
  const text = typeof pemOrDer === 'string' ? pemOrDer : asPemText(pemOrDer);
  if (text === undefined) return parsePrivateKeyDer(pemOrDer as Uint8Array);
  for (const { label, der } of pemDecode(text)) {
    switch (label) {
      case 'PRIVATE KEY':
      case 'EC PRIVATE KEY':
      case 'RSA PRIVATE KEY':
        return parsePrivateKeyDer(der, label);
      case 'ENCRYPTED PRIVATE KEY':
        throw new PemError('encrypted private keys are not supported; decrypt it first (openssl pkcs8 -nocrypt)');
      default:
        continue;
    }
  }
  throw new PemError('no PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY block found');
}

function parsePrivateKeyDer(derIn: Uint8Array, label?: string): PrivateKey {
  const der = derIn.slice();
  try {
    const top = new DerReader(der);
    const outer = top.sequence();
    top.end('private key');
    const version = outer.smallInteger();
    const second = outer.peekTag();
    if (second === TAG_SEQUENCE && label !== 'EC PRIVATE KEY' && label !== 'RSA PRIVATE KEY') return parsePkcs8(outer, version, der);
    if (second === TAG_OCTET_STRING && label !== 'PRIVATE KEY' && label !== 'RSA PRIVATE KEY') {
      return parseSec1(outer, version, undefined);
    }
    if (second === TAG_INTEGER && label !== 'PRIVATE KEY' && label !== 'EC PRIVATE KEY') {
      // PKCS#1 RSAPrivateKey: wrap it so the RSA key is always PKCS#8.
      if (version !== 0 && version !== 1) throw new PemError(`unsupported RSAPrivateKey version ${version}`);
      return { kind: 'rsa', pkcs8: wrapPkcs8(encodeSequence(encodeOid(OID.rsaEncryption), encodeNull()), der) };
    }
    throw new PemError(label === undefined ? 'not a PKCS#8, SEC1 or PKCS#1 private key' : `the "${label}" block does not hold a key in that format`);
  } catch (e) {
    if (e instanceof Asn1Error) throw new PemError(`malformed private key: ${e.message}`, { cause: e });
    throw e;
  }
}

/** RFC 5958 §2: OneAsymmetricKey ::= SEQUENCE { version, privateKeyAlgorithm, privateKey OCTET STRING, [0] attributes, [1] publicKey } */
function parsePkcs8(r: DerReader, version: number, der: Uint8Array): PrivateKey {
  if (version !== 0 && version !== 1) throw new PemError(`unsupported PKCS#8 version ${version}`);
  const alg = r.sequence();
  const oid = alg.oid();
  const paramsTag = alg.peekTag();
  const curve = paramsTag === TAG_OID ? alg.oid() : undefined;
  if (paramsTag !== undefined && paramsTag !== TAG_OID) alg.read();
  alg.end('AlgorithmIdentifier');
  const privateKey = r.octetString();
  r.optional(contextTag(0, true));
  if (version === 1) r.optional(contextTag(1, false));
  r.end('PrivateKeyInfo');

  switch (oid) {
    case OID.ecPublicKey: {
      if (curve !== OID.prime256v1) throw new PemError(`EC private key on curve ${curve === undefined ? '(none)' : curveName(curve)} is not supported (only P-256)`);
      const inner = new DerReader(privateKey).sequence();
      return parseSec1(inner, inner.smallInteger(), curve);
    }
    case OID.ed25519: {
      // RFC 8410 §7: CurvePrivateKey ::= OCTET STRING, inside the PKCS#8 OCTET STRING.
      const inner = new DerReader(privateKey);
      const seed = inner.octetString();
      inner.end('CurvePrivateKey');
      if (seed.length !== 32) throw new PemError(`Ed25519 private key of ${seed.length} bytes`);
      return { kind: 'ed25519', seed: seed.slice() };
    }
    case OID.rsaEncryption: {
      const inner = new DerReader(privateKey);
      inner.sequence();
      inner.end('RSAPrivateKey');
      return { kind: 'rsa', pkcs8: der };
    }
    default:
      throw new PemError(`private key algorithm ${oid} is not supported`);
  }
}

/** RFC 5915 §3: ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING, [0] parameters, [1] publicKey } */
function parseSec1(r: DerReader, version: number, outerCurve: string | undefined): PrivateKey {
  if (version !== 1) throw new PemError(`unsupported ECPrivateKey version ${version}`);
  const d = r.octetString();
  let curve = outerCurve;
  if (r.peekTag() === contextTag(0, true)) {
    const p = r.explicit(0);
    const inner = p.oid();
    p.end('ECParameters');
    if (outerCurve !== undefined && inner !== outerCurve) throw new PemError('ECPrivateKey curve differs from the PKCS#8 algorithm curve');
    curve = inner;
  }
  r.optional(contextTag(1, true));
  r.end('ECPrivateKey');
  if (curve !== OID.prime256v1) throw new PemError(`EC private key on curve ${curve === undefined ? '(unspecified)' : curveName(curve)} is not supported (only P-256)`);
  // SEC1 §C.4 fixes the length at 32 bytes; tolerate encoders that dropped leading zeros.
  if (d.length === 0 || d.length > 32) throw new PemError(`P-256 private key of ${d.length} bytes`);
  const scalar = new Uint8Array(32);
  scalar.set(d, 32 - d.length);
  return { kind: 'ecdsa-p256', d: scalar };
}

function wrapPkcs8(algorithmIdentifier: Uint8Array, privateKey: Uint8Array): Uint8Array {
  return encodeSequence(encodeInteger(0), algorithmIdentifier, encodeOctetString(privateKey));
}

/** PKCS#8 v1 PrivateKeyInfo DER, as `openssl pkcs8 -topk8 -nocrypt` would write it. */
export function encodePrivateKeyPkcs8(key: PrivateKey): Uint8Array {
  switch (key.kind) {
    case 'ecdsa-p256':
      if (key.d.length !== 32) throw new RangeError('P-256 private key must be 32 bytes');
      // The optional publicKey is left out: computing it needs curve arithmetic; readers derive it.
      return wrapPkcs8(
        encodeSequence(encodeOid(OID.ecPublicKey), encodeOid(OID.prime256v1)),
        encodeSequence(encodeInteger(1), encodeOctetString(key.d)),
      );
    case 'ed25519':
      if (key.seed.length !== 32) throw new RangeError('Ed25519 private key must be 32 bytes');
      return wrapPkcs8(encodeSequence(encodeOid(OID.ed25519)), encodeOctetString(key.seed));
    case 'rsa':
      return key.pkcs8.slice();
  }
}

/** SEC1 ECPrivateKey DER ("EC PRIVATE KEY"), with the named curve. */
export function encodePrivateKeySec1(key: PrivateKey & { kind: 'ecdsa-p256' }): Uint8Array {
  return encodeSequence(encodeInteger(1), encodeOctetString(key.d), encodeExplicit(0, encodeOid(OID.prime256v1)));
}

// ---------------------------------------------------------------------------------------------
// Certificates

/**
 * Every certificate in a CA file or chain file: PEM text with "CERTIFICATE" blocks (other blocks
 * are skipped), or DER (one certificate or several concatenated). Throws PemError when there is
 * no certificate, CertificateError when one does not parse. With `skipUnsupported`, certificates
 * we cannot use (unsupported_certificate, e.g. the P-384 roots of a system CA bundle) are left
 * out instead; malformed ones still throw.
 */
export function loadCertificates(pemOrDer: string | Uint8Array, opts: { skipUnsupported?: boolean } = {}): Certificate[] {
  const certs: Certificate[] = [];
  const add = (der: Uint8Array): void => {
    try {
      certs.push(parseCertificate(der));
    } catch (e) {
      if (!(opts.skipUnsupported === true && e instanceof CertificateError && e.alert === ALERT_UNSUPPORTED_CERTIFICATE)) throw e;
    }
  };
  const text = typeof pemOrDer === 'string' ? pemOrDer : asPemText(pemOrDer);
  let found = 0;
  if (text !== undefined) {
    for (const block of pemDecode(text)) {
      if (block.label !== 'CERTIFICATE') continue;
      found++;
      add(block.der);
    }
    if (found === 0) throw new PemError('no CERTIFICATE block found');
    return certs;
  }
  const r = new DerReader(pemOrDer as Uint8Array);
  try {
    while (!r.done) {
      const el = r.expect(TAG_SEQUENCE);
      found++;
      add(el.raw);
    }
  } catch (e) {
    if (e instanceof Asn1Error) throw new PemError(`malformed DER certificate file: ${e.message}`, { cause: e });
    throw e;
  }
  if (found === 0) throw new PemError('empty certificate file');
  return certs;
}
