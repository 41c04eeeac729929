/**
 * X.509 v3 certificates (RFC 5280): parsing what real servers send, chain verification against
 * trust anchors, and server-name matching (RFC 6125). Signatures are checked through the
 * CryptoProvider; this module does no cryptography of its own.
 *
 * Supported subject keys: ECDSA P-256, Ed25519, RSA (rsaEncryption). EC keys on other curves,
 * and any other key type, give CertificateError(unsupported_certificate).
 */

import { bytesEqual, toHex } from '../wire/bytes.js';
import {
  Asn1Error,
  CLASS_CONTEXT,
  CONSTRUCTED,
  DerReader,
  TAG_BOOLEAN,
  TAG_INTEGER,
  TAG_NULL,
  TAG_OID,
  TAG_SEQUENCE,
  TAG_BIT_STRING,
  contextTag,
  decodeBitString,
  decodeString,
  isStringTag,
  tagName,
  type Asn1Element,
} from './asn1.js';
import {
  SIG_ECDSA_SECP256R1_SHA256,
  SIG_ED25519,
  SIG_RSA_PKCS1_SHA256,
  SIG_RSA_PKCS1_SHA384,
  SIG_RSA_PSS_RSAE_SHA256,
  SIG_RSA_PSS_RSAE_SHA384,
  type CryptoProvider,
  type PublicKey,
  type SignatureScheme,
} from '../crypto/provider.js';

/** TLS alert descriptions (RFC 8446 §6.2) a certificate problem maps to. */
export const ALERT_BAD_CERTIFICATE = 42;
export const ALERT_UNSUPPORTED_CERTIFICATE = 43;
export const ALERT_CERTIFICATE_EXPIRED = 45;
export const ALERT_CERTIFICATE_UNKNOWN = 46;
export const ALERT_UNKNOWN_CA = 48;
export const ALERT_DECODE_ERROR = 50;

export class CertificateError extends Error {
  /** The TLS alert to send (RFC 8446 §6.2). */
  readonly alert: number;
  constructor(alert: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CertificateError';
    this.alert = alert;
  }
}

/** Object identifiers, named as in their RFCs. */
export const OID = {
  // RFC 5480 §2.1.1, RFC 5758 §3.2, RFC 8410 §3
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
  // RFC 8017 Appendix C, RFC 4055
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha1WithRSAEncryption: '1.2.840.113549.1.1.5',
  rsassaPss: '1.2.840.113549.1.1.10',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  mgf1: '1.2.840.113549.1.1.8',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  // RFC 5280 §4.2.1
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  // RFC 4519 attribute types
  commonName: '2.5.4.3',
} as const;

/** KeyUsage bits (RFC 5280 §4.2.1.3): bit i of the mask is named bit i of the BIT STRING. */
export const KU_DIGITAL_SIGNATURE = 1 << 0;
export const KU_NON_REPUDIATION = 1 << 1;
export const KU_KEY_ENCIPHERMENT = 1 << 2;
export const KU_DATA_ENCIPHERMENT = 1 << 3;
export const KU_KEY_AGREEMENT = 1 << 4;
export const KU_KEY_CERT_SIGN = 1 << 5;
export const KU_CRL_SIGN = 1 << 6;
export const KU_ENCIPHER_ONLY = 1 << 7;
export const KU_DECIPHER_ONLY = 1 << 8;

export interface DistinguishedName {
  /** The DER of the Name (RDNSequence); compared byte for byte when building chains. */
  raw: Uint8Array;
  /** RFC 4514 string, most specific RDN first: "CN=localhost, O=pquic". */
  text: string;
  /** The last (most specific) commonName attribute, if any. */
  commonName?: string;
}

export interface Certificate {
  /** The whole certificate DER (a private copy of the input). */
  raw: Uint8Array;
  /** The signed TBSCertificate DER. */
  tbs: Uint8Array;
  /** The serial number's INTEGER contents (two's complement, big-endian). */
  serial: Uint8Array;
  /** 1, 2 or 3. */
  version: number;
  subject: DistinguishedName;
  issuer: DistinguishedName;
  notBefore: Date;
  notAfter: Date;
  publicKey: PublicKey;
  /** The DER of the SubjectPublicKeyInfo. */
  spki: Uint8Array;
  signatureAlgorithm: 'ecdsa-with-SHA256' | 'ecdsa-with-SHA384' | 'ed25519' | 'sha256WithRSAEncryption' | 'sha384WithRSAEncryption' | 'rsassa-pss' | string;
  /** The DER of the signature AlgorithmIdentifier's parameters, when present (RSASSA-PSS-params). */
  signatureParams?: Uint8Array;
  signature: Uint8Array;
  /** subjectAltName entries. IP addresses are in dotted (IPv4) or RFC 5952 (IPv6) form. */
  dnsNames: string[];
  ipAddresses: string[];
  emails: string[];
  uris: string[];
  /** Whether the certificate has a subjectAltName extension at all. */
  hasSubjectAltName: boolean;
  isCA: boolean;
  pathLenConstraint?: number;
  /** KU_* mask, when the keyUsage extension is present. */
  keyUsage?: number;
  /** Extended key usage OIDs, when the extension is present. */
  extKeyUsage?: string[];
  subjectKeyId?: Uint8Array;
  authorityKeyId?: Uint8Array;
}

const SIGNATURE_ALGORITHMS: Record<string, string> = {
  [OID.ecdsaWithSHA256]: 'ecdsa-with-SHA256',
  [OID.ecdsaWithSHA384]: 'ecdsa-with-SHA384',
  [OID.ecdsaWithSHA512]: 'ecdsa-with-SHA512',
  [OID.ed25519]: 'ed25519',
  [OID.ed448]: 'ed448',
  [OID.sha1WithRSAEncryption]: 'sha1WithRSAEncryption',
  [OID.sha256WithRSAEncryption]: 'sha256WithRSAEncryption',
  [OID.sha384WithRSAEncryption]: 'sha384WithRSAEncryption',
  [OID.sha512WithRSAEncryption]: 'sha512WithRSAEncryption',
  [OID.rsassaPss]: 'rsassa-pss',
};

const CURVE_NAMES: Record<string, string> = {
  [OID.prime256v1]: 'P-256',
  [OID.secp384r1]: 'P-384',
  [OID.secp521r1]: 'P-521',
  '1.3.132.0.10': 'secp256k1',
  '1.3.36.3.3.2.8.1.1.7': 'brainpoolP256r1',
};

/** A readable name for an EC curve OID. */
export function curveName(oid: string): string {
  return CURVE_NAMES[oid] ?? oid;
}

/** RFC 4514 §3 short names, with OpenSSL's names for the other common types (what node prints). */
const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.15': 'businessCategory',
  '2.5.4.17': 'postalCode',
  '2.5.4.42': 'GN',
  '2.5.4.97': 'organizationIdentifier',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
};

/** Extensions we understand; any other extension marked critical makes the certificate unusable (RFC 5280 §4.2). */
const KNOWN_EXTENSIONS = new Set<string>([
  OID.subjectKeyIdentifier,
  OID.keyUsage,
  OID.subjectAltName,
  OID.basicConstraints,
  OID.certificatePolicies,
  OID.authorityKeyIdentifier,
  OID.extKeyUsage,
]);

// ---------------------------------------------------------------------------------------------
// Parsing

/** Wraps a DER problem as decode_error, keeping the offset in the message. */
function decodeFailure(e: unknown, what: string): never {
  if (e instanceof CertificateError) throw e;
  if (e instanceof Asn1Error) throw new CertificateError(ALERT_DECODE_ERROR, `malformed ${what}: ${e.message}`, { cause: e });
  throw e;
}

function unsupported(message: string): CertificateError {
  return new CertificateError(ALERT_UNSUPPORTED_CERTIFICATE, message);
}

/**
 * Parses one DER certificate. Throws CertificateError: decode_error (50) for malformed DER or
 * structure, unsupported_certificate (43) for a key type we cannot use or an unknown critical
 * extension, bad_certificate (42) when the inner and outer signature algorithms differ.
 */
export function parseCertificate(der: Uint8Array): Certificate {
  // A private copy: callers often hand us a view into a reusable TLS message buffer.
  const raw = der.slice();
  try {
    return parseCertificateDer(raw);
  } catch (e) {
    decodeFailure(e, 'certificate');
  }
}

function parseCertificateDer(raw: Uint8Array): Certificate {
  const top = new DerReader(raw);
  const certEl = top.expect(TAG_SEQUENCE);
  top.end('Certificate');
  const cert = top.nested(certEl);

  // RFC 5280 §4.1: Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
  const tbsEl = cert.expect(TAG_SEQUENCE);
  const outerAlg = readAlgorithmIdentifier(cert);
  const signature = cert.bitStringOctets();
  cert.end('Certificate');

  const tbs = cert.nested(tbsEl);
  let version = 1;
  if (tbs.peekTag() === contextTag(0, true)) {
    const v = tbs.explicit(0);
    const at = v.offset;
    const n = v.smallInteger();
    v.end('version');
    // §4.1.2.1; v1 is the DEFAULT and so is never encoded explicitly in DER.
    if (n !== 1 && n !== 2) throw new Asn1Error(`unsupported certificate version value ${n}`, at);
    version = n + 1;
  }
  const serial = tbs.integer();
  const innerAlg = readAlgorithmIdentifier(tbs);
  const issuer = readName(tbs);
  const validity = tbs.sequence();
  const notBefore = validity.time();
  const notAfter = validity.time();
  validity.end('Validity');
  const subject = readName(tbs);
  const spkiEl = tbs.expect(TAG_SEQUENCE);
  const publicKey = readSubjectPublicKey(tbs.nested(spkiEl));
  // §4.1.2.8: issuerUniqueID [1] and subjectUniqueID [2] IMPLICIT BIT STRING, v2 and v3 only; checked, then ignored.
  if (version >= 2) {
    for (const n of [1, 2]) {
      const uid = tbs.optional(contextTag(n, false));
      if (uid !== undefined) decodeBitString({ ...uid, tag: TAG_BIT_STRING });
    }
  }

  const result: Certificate = {
    raw,
    tbs: tbsEl.raw,
    serial,
    version,
    subject,
    issuer,
    notBefore,
    notAfter,
    publicKey,
    spki: spkiEl.raw,
    signatureAlgorithm: SIGNATURE_ALGORITHMS[outerAlg.oid] ?? outerAlg.oid,
    signature,
    dnsNames: [],
    ipAddresses: [],
    emails: [],
    uris: [],
    hasSubjectAltName: false,
    isCA: false,
  };
  if (outerAlg.params !== undefined) result.signatureParams = outerAlg.params;

  if (tbs.peekTag() === contextTag(3, true)) {
    const at = tbs.offset;
    if (version !== 3) throw new Asn1Error('extensions in a certificate that is not v3', at);
    readExtensions(tbs.explicit(3), result);
  }
  tbs.end('TBSCertificate');

  // §4.1.1.2: the signature field MUST contain the same algorithm identifier as signatureAlgorithm.
  if (!bytesEqual(outerAlg.raw, innerAlg.raw)) {
    throw new CertificateError(ALERT_BAD_CERTIFICATE, 'certificate signature algorithm does not match the TBSCertificate signature field');
  }
  return result;
}

interface AlgorithmIdentifier {
  oid: string;
  params?: Uint8Array;
  raw: Uint8Array;
}

function readAlgorithmIdentifier(r: DerReader): AlgorithmIdentifier {
  const el = r.expect(TAG_SEQUENCE);
  const s = r.nested(el);
  const oid = s.oid();
  const alg: AlgorithmIdentifier = { oid, raw: el.raw };
  if (!s.done) alg.params = s.read().raw;
  s.end('AlgorithmIdentifier');
  return alg;
}

function readSubjectPublicKey(spki: DerReader): PublicKey {
  const alg = readAlgorithmIdentifier(spki);
  const keyAt = spki.offset;
  const key = spki.bitStringOctets();
  spki.end('SubjectPublicKeyInfo');
  switch (alg.oid) {
    case OID.ecPublicKey: {
      // RFC 5480 §2.1.1: parameters are a namedCurve OID (implicitCurve and specifiedCurve are not allowed here).
      if (alg.params === undefined || alg.params[0] !== TAG_OID) throw unsupported('EC public key without a named curve is not supported');
      const pr = new DerReader(alg.params);
      const curve = pr.oid();
      pr.end('ECParameters');
      if (curve !== OID.prime256v1) {
        throw unsupported(`EC public key on curve ${curveName(curve)} is not supported (only P-256)`);
      }
      if (key.length === 33 && (key[0] === 2 || key[0] === 3)) throw unsupported('compressed EC points are not supported');
      if (key.length !== 65 || key[0] !== 4) throw new Asn1Error('P-256 public key must be a 65-byte uncompressed point', keyAt);
      return { kind: 'ecdsa-p256', point: key };
    }
    case OID.ed25519: {
      // RFC 8410 §3: parameters MUST be absent.
      if (alg.params !== undefined) throw new Asn1Error('Ed25519 algorithm identifier with parameters', keyAt);
      if (key.length !== 32) throw new Asn1Error('Ed25519 public key must be 32 bytes', keyAt);
      return { kind: 'ed25519', key };
    }
    case OID.rsaEncryption: {
      // RFC 3279 §2.3.1: parameters are NULL; a few encoders omit them, which is harmless.
      if (alg.params !== undefined && !(alg.params.length === 2 && alg.params[0] === TAG_NULL && alg.params[1] === 0)) {
        throw new Asn1Error('rsaEncryption parameters must be NULL', keyAt);
      }
      const k = new DerReader(key, keyAt + 1).sequence();
      const n = unsignedInteger(k, 'RSA modulus');
      const e = unsignedInteger(k, 'RSA exponent');
      k.end('RSAPublicKey');
      return { kind: 'rsa', n, e };
    }
    default:
      throw unsupported(`public key algorithm ${SIGNATURE_ALGORITHMS[alg.oid] ?? alg.oid} is not supported`);
  }
}

/** A positive INTEGER as unsigned big-endian bytes, without the sign octet. */
function unsignedInteger(r: DerReader, what: string): Uint8Array {
  const at = r.offset;
  const v = r.integer();
  if (v[0]! >= 0x80) throw new Asn1Error(`${what} is negative`, at);
  const s = v[0] === 0 && v.length > 1 ? v.subarray(1) : v;
  if (s.length === 1 && s[0] === 0) throw new Asn1Error(`${what} is zero`, at);
  return s;
}

function readName(r: DerReader): DistinguishedName {
  const el = r.expect(TAG_SEQUENCE);
  const seq = r.nested(el);
  const rdns: string[] = [];
  let commonName: string | undefined;
  while (!seq.done) {
    const set = seq.set();
    const parts: string[] = [];
    // RFC 5280 §4.1.2.4: RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue
    if (set.done) throw new Asn1Error('empty RelativeDistinguishedName', set.offset);
    while (!set.done) {
      const atv = set.sequence();
      const type = atv.oid();
      const valueEl = atv.read();
      atv.end('AttributeTypeAndValue');
      const short = ATTRIBUTE_NAMES[type];
      // AttributeValue is ANY, but every attribute type used in names is a character string
      // (RFC 5280 Appendix A.1); like Go, we refuse anything else rather than guess.
      if (!isStringTag(valueEl.tag)) throw new Asn1Error(`attribute ${short ?? type} value is a ${tagName(valueEl.tag)}, not a string`, valueEl.start);
      const value = decodeString(valueEl);
      if (short !== undefined) {
        if (type === OID.commonName) commonName = value;
        parts.push(`${short}=${escapeDnValue(value)}`);
      } else {
        // RFC 4514 §2.4: types without a short name are written as the OID and the hex of the value's encoding.
        parts.push(`${type}=#${toHex(valueEl.raw)}`);
      }
    }
    rdns.push(parts.join('+'));
  }
  const dn: DistinguishedName = { raw: el.raw, text: rdns.reverse().join(', ') };
  if (commonName !== undefined) dn.commonName = commonName;
  return dn;
}

/** RFC 4514 §2.4 escaping. */
function escapeDnValue(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const ch = v[i]!;
    const code = ch.charCodeAt(0);
    if (',+"\\<>;'.includes(ch) || (i === 0 && (ch === '#' || ch === ' ')) || (i === v.length - 1 && ch === ' ')) {
      out += '\\' + ch;
    } else if (code < 0x20 || code === 0x7f) {
      out += '\\' + code.toString(16).padStart(2, '0');
    } else {
      out += ch;
    }
  }
  return out;
}

function readExtensions(r: DerReader, cert: Certificate): void {
  const list = r.sequence();
  r.end('extensions');
  // §4.1.2.9: Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
  if (list.done) throw new Asn1Error('empty extensions list', list.offset);
  const seen = new Set<string>();
  while (!list.done) {
    const ext = list.sequence();
    const idAt = ext.offset;
    const id = ext.oid();
    let critical = false;
    // DEFAULT FALSE: DER omits it, but a few issuers encode FALSE explicitly; accept that.
    if (ext.peekTag() === TAG_BOOLEAN) critical = ext.boolean();
    const valueEl = ext.expect(0x04);
    ext.end('Extension');
    // §4.2: a certificate MUST NOT include more than one instance of a particular extension.
    if (seen.has(id)) throw new Asn1Error(`duplicate extension ${id}`, idAt);
    seen.add(id);
    if (!KNOWN_EXTENSIONS.has(id)) {
      if (critical) throw unsupported(`unsupported critical extension ${id}`);
      continue;
    }
    const v = new DerReader(valueEl.contents, valueEl.contentsStart, list.depth + 1);
    readExtension(id, v, cert);
    v.end(`extension ${id}`);
  }
}

function readExtension(id: string, v: DerReader, cert: Certificate): void {
  switch (id) {
    case OID.subjectAltName:
      readSubjectAltName(v.sequence(), cert);
      return;
    case OID.basicConstraints: {
      // §4.2.1.9: BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL }
      const s = v.sequence();
      if (s.peekTag() === TAG_BOOLEAN) cert.isCA = s.boolean();
      if (s.peekTag() === TAG_INTEGER) cert.pathLenConstraint = s.smallInteger();
      s.end('BasicConstraints');
      return;
    }
    case OID.keyUsage: {
      const at = v.offset;
      const { unusedBits, bytes } = v.bitString();
      if (bytes.length === 0) throw new Asn1Error('empty KeyUsage', at);
      if (bytes.length > 2) throw new Asn1Error('KeyUsage longer than 9 bits', at);
      let mask = 0;
      const nbits = bytes.length * 8 - unusedBits;
      for (let i = 0; i < nbits; i++) if (bytes[i >> 3]! & (0x80 >> (i & 7))) mask |= 1 << i;
      cert.keyUsage = mask;
      return;
    }
    case OID.extKeyUsage: {
      const s = v.sequence();
      const oids: string[] = [];
      while (!s.done) oids.push(s.oid());
      cert.extKeyUsage = oids;
      return;
    }
    case OID.subjectKeyIdentifier:
      cert.subjectKeyId = v.octetString();
      return;
    case OID.authorityKeyIdentifier: {
      // §4.2.1.1: AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, ... }
      const s = v.sequence();
      const kid = s.optional(contextTag(0, false));
      if (kid !== undefined) cert.authorityKeyId = kid.contents;
      s.optional(contextTag(1, true));
      s.optional(contextTag(2, false));
      s.end('AuthorityKeyIdentifier');
      return;
    }
    case OID.certificatePolicies:
      // Understood to the extent browsers do: policies are not enforced, but the structure must parse.
      v.sequence();
      return;
  }
}

function readSubjectAltName(s: DerReader, cert: Certificate): void {
  cert.hasSubjectAltName = true;
  // §4.2.1.6: GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
  if (s.done) throw new Asn1Error('empty subjectAltName', s.offset);
  while (!s.done) {
    const el: Asn1Element = s.read();
    if ((el.tag & 0xc0) !== CLASS_CONTEXT) throw new Asn1Error(`GeneralName with ${tagName(el.tag)}`, el.start);
    const n = el.tag & 0x1f;
    const constructed = (el.tag & CONSTRUCTED) !== 0;
    // otherName [0], x400Address [3], directoryName [4] and ediPartyName [5] are constructed; the rest primitive.
    const expectConstructed = n === 0 || n === 3 || n === 4 || n === 5;
    if (n > 8 || constructed !== expectConstructed) throw new Asn1Error(`invalid GeneralName ${tagName(el.tag)}`, el.start);
    switch (n) {
      case 1:
        cert.emails.push(ia5(el));
        break;
      case 2:
        cert.dnsNames.push(ia5(el));
        break;
      case 6:
        cert.uris.push(ia5(el));
        break;
      case 7:
        if (el.contents.length !== 4 && el.contents.length !== 16) {
          throw new Asn1Error(`iPAddress of ${el.contents.length} bytes`, el.start);
        }
        cert.ipAddresses.push(formatIp(el.contents));
        break;
      case 4:
        // directoryName is an explicitly tagged Name (CHOICE): check it parses.
        readName(new DerReader(el.contents, el.contentsStart, s.depth + 1));
        break;
      default:
        break;
    }
  }
}

function ia5(el: Asn1Element): string {
  return decodeString({ ...el, tag: 0x16 });
}

// ---------------------------------------------------------------------------------------------
// IP addresses

/** Dotted quad for 4 bytes, RFC 5952 text for 16 bytes. */
export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i]! << 8) | b[i + 1]!);
  // RFC 5952 §4.2: compress the longest run (first if tied) of two or more zero words.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/** Parses an IPv4 dotted quad or an IPv6 address (optionally in brackets); undefined if it is neither. */
export function parseIp(text: string): Uint8Array | undefined {
  let s = text;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (s.includes(':')) return parseIpv6(s);
  return parseIpv4(s);
}

function parseIpv4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    // No leading zeros: "010" is octal to inet_aton and ambiguous, so it is not an address.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

function parseIpv6(s: string): Uint8Array | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parseWords = (part: string, allowV4Tail: boolean): number[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':');
    const words: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (allowV4Tail && i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (v4 === undefined) return undefined;
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        words.push(parseInt(g, 16));
      }
    }
    return words;
  };
  let words: number[];
  if (halves.length === 2) {
    const head = parseWords(halves[0]!, false);
    const tail = parseWords(halves[1]!, true);
    if (head === undefined || tail === undefined || head.length + tail.length > 7) return undefined;
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = parseWords(s, true);
    if (all === undefined || all.length !== 8) return undefined;
    words = all;
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Server-name matching (RFC 6125 §6.4)

/** Lowercases ASCII and drops one trailing dot; undefined for names we refuse (empty labels, non-ASCII). */
function normalizeDnsName(name: string): string | undefined {
  let s = name.endsWith('.') ? name.slice(0, -1) : name;
  if (s.length === 0 || s.length > 253 || /[^\x21-\x7e]/.test(s)) return undefined;
  s = s.toLowerCase();
  if (s.split('.').some((label) => label.length === 0)) return undefined;
  return s;
}

/** RFC 6125 §6.4.3 with the rules browsers apply: only a whole leftmost "*" label, never partial, never over a public-suffix-like single label. */
function dnsPatternMatches(pattern: string, host: string): boolean {
  const p = normalizeDnsName(pattern);
  if (p === undefined) return false;
  if (!p.includes('*')) return p === host;
  if (!p.startsWith('*.')) return false;
  const suffix = p.slice(2);
  // "*.com" would cover a whole TLD; require at least two labels after the wildcard.
  if (suffix.includes('*') || !suffix.includes('.')) return false;
  const dot = host.indexOf('.');
  if (dot <= 0) return false;
  return host.slice(dot + 1) === suffix;
}

/**
 * Whether `cert` is valid for `name` (RFC 6125): an IP literal matches only iPAddress SANs; a DNS
 * name matches dNSName SANs (case-insensitive, trailing dot ignored, "*." wildcard as the whole
 * leftmost label only), and the subject commonName only when the certificate has no DNS or URI
 * SANs (§6.4.4).
 */
export function matchesServerName(cert: Certificate, name: string): boolean {
  const ip = parseIp(name);
  if (ip !== undefined) {
    return cert.ipAddresses.some((a) => {
      const b = parseIp(a);
      return b !== undefined && bytesEqual(b, ip);
    });
  }
  if (name.includes(':') || name.includes('[')) return false;
  const host = normalizeDnsName(name);
  if (host === undefined) return false;
  if (cert.dnsNames.length > 0 || cert.uris.length > 0) return cert.dnsNames.some((p) => dnsPatternMatches(p, host));
  const cn = cert.subject.commonName;
  return cn !== undefined && parseIp(cn) === undefined && dnsPatternMatches(cn, host);
}

// ---------------------------------------------------------------------------------------------
// Signatures and chains

/** Signature schemes (RFC 8446 §4.2.3) a TLS 1.3 CertificateVerify can use with this key, preferred first. */
export function signatureSchemesFor(key: PublicKey): SignatureScheme[] {
  switch (key.kind) {
    case 'ecdsa-p256':
      return [SIG_ECDSA_SECP256R1_SHA256];
    case 'ed25519':
      return [SIG_ED25519];
    case 'rsa':
      // RFC 8446 §4.4.3: RSA CertificateVerify signatures MUST be RSASSA-PSS.
      return [SIG_RSA_PSS_RSAE_SHA256, SIG_RSA_PSS_RSAE_SHA384];
  }
}

/**
 * The provider scheme that checks `cert`'s signature with `issuerKey`, or throws
 * CertificateError(unsupported_certificate) when the combination is one we do not verify.
 */
export function certificateSignatureScheme(cert: Certificate, issuerKey: PublicKey): SignatureScheme {
  const alg = cert.signatureAlgorithm;
  const mismatch = (): CertificateError =>
    new CertificateError(ALERT_BAD_CERTIFICATE, `signature algorithm ${alg} does not fit the issuer's ${issuerKey.kind} key`);
  switch (alg) {
    case 'ecdsa-with-SHA256':
      if (issuerKey.kind !== 'ecdsa-p256') throw mismatch();
      return SIG_ECDSA_SECP256R1_SHA256;
    case 'ed25519':
      if (issuerKey.kind !== 'ed25519') throw mismatch();
      return SIG_ED25519;
    case 'sha256WithRSAEncryption':
    case 'sha384WithRSAEncryption':
      if (issuerKey.kind !== 'rsa') throw mismatch();
      return alg === 'sha256WithRSAEncryption' ? SIG_RSA_PKCS1_SHA256 : SIG_RSA_PKCS1_SHA384;
    case 'rsassa-pss': {
      if (issuerKey.kind !== 'rsa') throw mismatch();
      const hash = pssHash(cert.signatureParams);
      return hash === 'sha256' ? SIG_RSA_PSS_RSAE_SHA256 : SIG_RSA_PSS_RSAE_SHA384;
    }
    default:
      throw unsupported(`certificate signature algorithm ${alg} is not supported`);
  }
}

/**
 * RFC 4055 §3.1 RSASSA-PSS-params. We verify only what TLS 1.3 also uses: SHA-256 or SHA-384,
 * MGF1 with the same hash, and a salt as long as the hash.
 */
function pssHash(params: Uint8Array | undefined): 'sha256' | 'sha384' {
  const bad = (): CertificateError =>
    unsupported('RSASSA-PSS parameters other than SHA-256/SHA-384 with MGF1 and salt = hash length are not supported');
  if (params === undefined) throw bad();
  const SHA1 = '1.3.14.3.2.26';
  let hashOid: string = SHA1; // every field has a SHA-1 era DEFAULT
  let mgfHashOid: string = SHA1;
  let salt = 20;
  let trailer = 1;
  try {
    const top = new DerReader(params);
    const s = top.sequence();
    top.end('RSASSA-PSS-params');
    const field = (n: number, read: (r: DerReader) => void): void => {
      if (s.peekTag() !== contextTag(n, true)) return;
      const r = s.explicit(n);
      read(r);
      r.end(`RSASSA-PSS-params [${n}]`);
    };
    field(0, (r) => (hashOid = readAlgorithmIdentifier(r).oid));
    field(1, (r) => {
      const mgf = r.sequence();
      if (mgf.oid() !== OID.mgf1) throw bad();
      mgfHashOid = readAlgorithmIdentifier(mgf).oid;
      mgf.end('MaskGenAlgorithm');
    });
    field(2, (r) => (salt = r.smallInteger()));
    field(3, (r) => (trailer = r.smallInteger()));
    s.end('RSASSA-PSS-params');
  } catch (e) {
    if (e instanceof Asn1Error) throw new CertificateError(ALERT_DECODE_ERROR, `malformed RSASSA-PSS parameters: ${e.message}`, { cause: e });
    throw e;
  }
  if (trailer !== 1 || hashOid !== mgfHashOid) throw bad();
  if (hashOid === OID.sha256 && salt === 32) return 'sha256';
  if (hashOid === OID.sha384 && salt === 48) return 'sha384';
  throw bad();
}

/**
 * Whether `issuer`'s key signed `cert`. Returns false for a signature that does not verify (or a
 * key the provider rejects); throws CertificateError 43 for an algorithm we do not support and 42
 * when the algorithm does not fit the issuer's key type.
 */
export function verifySignedBy(provider: CryptoProvider, cert: Certificate, issuer: Certificate): boolean {
  const scheme = certificateSignatureScheme(cert, issuer.publicKey);
  try {
    return provider.verify(scheme, issuer.publicKey, cert.tbs, cert.signature);
  } catch {
    // The provider throws only for an unusable key (e.g. a point not on the curve).
    return false;
  }
}

export interface VerifyOptions {
  /** The certificates we trust. A chain is accepted when it reaches one of them. */
  trustAnchors: Certificate[];
  /** The name the client asked for (SNI): a DNS name or an IP literal. Not checked when absent. */
  serverName?: string;
  /** The time to check validity at; defaults to now. */
  now?: Date;
}

/** Paths longer than this are refused: real chains have 2–4 certificates. */
const MAX_PATH_LENGTH = 8;
/** Bound on signature checks per verification, so crafted cross-signed meshes cannot make us spin. */
const MAX_SIGNATURE_CHECKS = 32;

/**
 * Verifies a chain as received in a TLS Certificate message (leaf first; the rest may be in any
 * order and may contain extra certificates). Throws CertificateError with:
 *  - certificate_expired (45) when any certificate on the path, the anchor included, is expired or not yet valid;
 *  - unknown_ca (48) when no path reaches a trust anchor;
 *  - bad_certificate (42) for a bad signature, an issuer that is not a CA (basicConstraints),
 *    whose keyUsage lacks keyCertSign, or whose pathLenConstraint is exceeded, a path that is
 *    too long, and for a server-name mismatch (as OpenSSL does: X509_V_ERR_HOSTNAME_MISMATCH
 *    maps to bad_certificate);
 *  - unsupported_certificate (43) for a signature algorithm we cannot verify.
 * When several candidate paths fail, the most specific error is reported (anything before unknown_ca).
 */
export function verifyChain(provider: CryptoProvider, chain: Certificate[], opts: VerifyOptions): void {
  const leaf = chain[0];
  if (leaf === undefined) throw new CertificateError(ALERT_BAD_CERTIFICATE, 'empty certificate chain');
  const now = opts.now ?? new Date();
  const state = { signatureChecks: 0, error: undefined as CertificateError | undefined };

  checkValidity(leaf, now, 'leaf');
  if (!buildPath(provider, leaf, chain.slice(1), opts.trustAnchors, now, 0, 0, new Set(), state)) {
    throw state.error ?? new CertificateError(ALERT_UNKNOWN_CA, `no trusted issuer for "${leaf.issuer.text}"`);
  }
  if (opts.serverName !== undefined && !matchesServerName(leaf, opts.serverName)) {
    const names = [...leaf.dnsNames, ...leaf.ipAddresses];
    throw new CertificateError(
      ALERT_BAD_CERTIFICATE,
      `certificate is not valid for "${opts.serverName}" (it names ${names.length > 0 ? names.join(', ') : `CN=${leaf.subject.commonName ?? ''}`})`,
    );
  }
}

function checkValidity(cert: Certificate, now: Date, role: string): void {
  if (now.getTime() > cert.notAfter.getTime()) {
    throw new CertificateError(ALERT_CERTIFICATE_EXPIRED, `${role} certificate "${cert.subject.text}" expired at ${cert.notAfter.toISOString()}`);
  }
  if (now.getTime() < cert.notBefore.getTime()) {
    throw new CertificateError(ALERT_CERTIFICATE_EXPIRED, `${role} certificate "${cert.subject.text}" is not valid before ${cert.notBefore.toISOString()}`);
  }
}

/** Checks that `ca` may issue certificates with `caBelow` intermediate CAs under it (RFC 5280 §6.1.4). */
function checkIssuer(ca: Certificate, caBelow: number, now: Date, role: string): void {
  // A v1 certificate has no basicConstraints; OpenSSL and Go accept v1 roots, so we do for anchors.
  if (!ca.isCA && !(role === 'trust anchor' && ca.version === 1)) {
    throw new CertificateError(ALERT_BAD_CERTIFICATE, `${role} "${ca.subject.text}" is not a CA (basicConstraints)`);
  }
  if (ca.keyUsage !== undefined && (ca.keyUsage & KU_KEY_CERT_SIGN) === 0) {
    throw new CertificateError(ALERT_BAD_CERTIFICATE, `${role} "${ca.subject.text}" keyUsage does not allow keyCertSign`);
  }
  if (ca.pathLenConstraint !== undefined && caBelow > ca.pathLenConstraint) {
    throw new CertificateError(ALERT_BAD_CERTIFICATE, `${role} "${ca.subject.text}" pathLenConstraint ${ca.pathLenConstraint} exceeded`);
  }
  checkValidity(ca, now, role);
}

/** Whether `issuer` could have issued `cert`, by name and, when both carry them, by key identifier. */
function couldIssue(issuer: Certificate, cert: Certificate): boolean {
  if (!bytesEqual(issuer.subject.raw, cert.issuer.raw)) return false;
  if (issuer.subjectKeyId !== undefined && cert.authorityKeyId !== undefined) return bytesEqual(issuer.subjectKeyId, cert.authorityKeyId);
  return true;
}

function checkSignature(provider: CryptoProvider, cert: Certificate, issuer: Certificate, state: { signatureChecks: number }): void {
  if (++state.signatureChecks > MAX_SIGNATURE_CHECKS) {
    throw new CertificateError(ALERT_BAD_CERTIFICATE, 'too many candidate issuers');
  }
  if (!verifySignedBy(provider, cert, issuer)) {
    throw new CertificateError(ALERT_BAD_CERTIFICATE, `bad signature on "${cert.subject.text}" by "${issuer.subject.text}"`);
  }
}

/**
 * Depth-first search from `cert` up to a trust anchor. `caBelow` counts the non-self-issued
 * intermediate CAs already on the path under the issuer being looked for.
 */
function buildPath(
  provider: CryptoProvider,
  cert: Certificate,
  pool: Certificate[],
  anchors: Certificate[],
  now: Date,
  depth: number,
  caBelow: number,
  used: Set<Certificate>,
  state: { signatureChecks: number; error: CertificateError | undefined },
): boolean {
  const note = (e: unknown): void => {
    if (!(e instanceof CertificateError)) throw e;
    if (state.error === undefined || state.error.alert === ALERT_UNKNOWN_CA) state.error = e;
  };
  // The certificate itself is trusted (a pinned self-signed certificate, or a root the peer sent).
  if (anchors.some((a) => bytesEqual(a.raw, cert.raw))) return true;
  if (depth >= MAX_PATH_LENGTH) {
    note(new CertificateError(ALERT_BAD_CERTIFICATE, `certificate chain longer than ${MAX_PATH_LENGTH}`));
    return false;
  }
  for (const anchor of anchors) {
    if (!couldIssue(anchor, cert)) continue;
    try {
      checkIssuer(anchor, caBelow, now, 'trust anchor');
      checkSignature(provider, cert, anchor, state);
      return true;
    } catch (e) {
      note(e);
    }
  }
  for (const candidate of pool) {
    if (used.has(candidate) || !couldIssue(candidate, cert)) continue;
    try {
      checkIssuer(candidate, caBelow, now, 'intermediate');
      checkSignature(provider, cert, candidate, state);
    } catch (e) {
      note(e);
      continue;
    }
    used.add(candidate);
    // §6.1.4 (l): self-issued certificates do not count against pathLenConstraint.
    const selfIssued = bytesEqual(candidate.subject.raw, candidate.issuer.raw);
    if (buildPath(provider, candidate, pool, anchors, now, depth + 1, caBelow + (selfIssued ? 0 : 1), used, state)) return true;
    used.delete(candidate);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------

export { bytesEqual } from '../wire/bytes.js';
