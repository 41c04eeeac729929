/**
 * Writes X.509 v3 certificates (RFC 5280) for tests, demos and servers without a real
 * certificate: self-signed, or signed by a CA certificate and key we hold (to build chains).
 */

import {
  encodeBoolean,
  encodeExplicit,
  encodeImplicit,
  encodeInteger,
  encodeNamedBits,
  encodeNull,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeSetOf,
  encodeTime,
  encodeBitString,
  encodeUtf8String,
} from './asn1.js';
import {
  SIG_ECDSA_SECP256R1_SHA256,
  SIG_ED25519,
  SIG_RSA_PKCS1_SHA256,
  type CryptoProvider,
  type PrivateKey,
  type PublicKey,
  type SignatureScheme,
} from '../crypto/provider.js';
import {
  KU_CRL_SIGN,
  KU_DIGITAL_SIGNATURE,
  KU_KEY_CERT_SIGN,
  OID,
  parseCertificate,
  parseIp,
  type Certificate,
} from './x509.js';

export interface CertificateOptions {
  /** Key type of the new certificate; default 'ecdsa-p256'. */
  kind?: 'ecdsa-p256' | 'ed25519';
  /** Subject CN; default "localhost". */
  commonName?: string;
  /** DNS SANs; default [commonName] for a leaf whose CN is a host name, else [] (always [] for a CA). */
  dnsNames?: string[];
  /** IP SANs; default [commonName] when the CN is an IP literal, else []. */
  ipAddresses?: string[];
  /** Lifetime in days from notBefore; default 365. */
  days?: number;
  /** Start of validity; default five minutes ago (tolerates clock skew between peers). */
  notBefore?: Date;
  /** A CA certificate: basicConstraints cA=TRUE and keyUsage keyCertSign. */
  isCA?: boolean;
  /** pathLenConstraint for a CA. */
  pathLenConstraint?: number;
  /** Sign with this CA instead of self-signing. */
  issuer?: { cert: Certificate; key: PrivateKey };
}

const DAY_MS = 86_400_000;

/** AlgorithmIdentifier and provider scheme for signing with `key` (RFC 5758 §3.2, RFC 8410 §3, RFC 4055 §5). */
function signatureAlgorithmFor(key: PrivateKey): { algorithm: Uint8Array; scheme: SignatureScheme } {
  switch (key.kind) {
    case 'ecdsa-p256':
      // ecdsa-with-SHA256: parameters MUST be absent.
      return { algorithm: encodeSequence(encodeOid(OID.ecdsaWithSHA256)), scheme: SIG_ECDSA_SECP256R1_SHA256 };
    case 'ed25519':
      return { algorithm: encodeSequence(encodeOid(OID.ed25519)), scheme: SIG_ED25519 };
    case 'rsa':
      return { algorithm: encodeSequence(encodeOid(OID.sha256WithRSAEncryption), encodeNull()), scheme: SIG_RSA_PKCS1_SHA256 };
  }
}

/** SubjectPublicKeyInfo DER (RFC 5480 §2, RFC 8410 §4, RFC 8017 §A.1.1). */
export function encodeSubjectPublicKeyInfo(key: PublicKey): Uint8Array {
  switch (key.kind) {
    case 'ecdsa-p256':
      return encodeSequence(encodeSequence(encodeOid(OID.ecPublicKey), encodeOid(OID.prime256v1)), encodeBitString(key.point));
    case 'ed25519':
      return encodeSequence(encodeSequence(encodeOid(OID.ed25519)), encodeBitString(key.key));
    case 'rsa':
      return encodeSequence(
        encodeSequence(encodeOid(OID.rsaEncryption), encodeNull()),
        encodeBitString(encodeSequence(encodeInteger(key.n), encodeInteger(key.e))),
      );
  }
}

/** The raw key bytes the key identifier hashes (the subjectPublicKey BIT STRING value). */
function publicKeyBits(key: PublicKey): Uint8Array {
  switch (key.kind) {
    case 'ecdsa-p256':
      return key.point;
    case 'ed25519':
      return key.key;
    case 'rsa':
      return encodeSequence(encodeInteger(key.n), encodeInteger(key.e));
  }
}

/** RFC 7093 §2 method 1: the leftmost 160 bits of the SHA-256 of the subjectPublicKey. */
function keyIdentifier(provider: CryptoProvider, key: PublicKey): Uint8Array {
  return provider.hash('sha256', publicKeyBits(key)).subarray(0, 20);
}

function encodeName(commonName: string): Uint8Array {
  // RFC 5280 §4.1.2.4: new certificates use UTF8String.
  return encodeSequence(encodeSetOf(encodeSequence(encodeOid(OID.commonName), encodeUtf8String(commonName))));
}

function encodeExtension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical
    ? encodeSequence(encodeOid(oid), encodeBoolean(true), encodeOctetString(value))
    : encodeSequence(encodeOid(oid), encodeOctetString(value));
}

function encodeSubjectAltName(dnsNames: string[], ipAddresses: string[]): Uint8Array {
  const names: Uint8Array[] = [];
  for (const dns of dnsNames) {
    if (dns.length === 0 || /[^\x21-\x7e]/.test(dns)) throw new RangeError(`invalid DNS name ${JSON.stringify(dns)} (use the A-label form)`);
    names.push(encodeImplicit(2, new TextEncoder().encode(dns)));
  }
  for (const ip of ipAddresses) {
    const bytes = parseIp(ip);
    if (bytes === undefined) throw new RangeError(`invalid IP address ${JSON.stringify(ip)}`);
    names.push(encodeImplicit(7, bytes));
  }
  return encodeSequence(...names);
}

/** A random positive serial of 16 bytes (RFC 5280 §4.1.2.2: positive, at most 20 octets; CA/B asks for 64+ random bits). */
function randomSerial(provider: CryptoProvider): Uint8Array {
  const s = provider.randomBytes(16).slice();
  // Top bit clear keeps it positive; the next bit set keeps it 16 octets and minimally encoded.
  s[0] = (s[0]! & 0x7f) | 0x40;
  return s;
}

/**
 * Generates a key of `opts.kind` and a v3 certificate for it, self-signed or signed by
 * `opts.issuer`, with SAN (DNS + IP), basicConstraints, keyUsage, extKeyUsage (leaves),
 * subject/authority key identifiers, signed with ECDSA P-256 SHA-256 or Ed25519 (the issuer's
 * key decides).
 */
export function generateSelfSigned(
  provider: CryptoProvider,
  opts: CertificateOptions = {},
): { certDer: Uint8Array; privateKey: PrivateKey; cert: Certificate } {
  const kind = opts.kind ?? 'ecdsa-p256';
  const commonName = opts.commonName ?? 'localhost';
  const isCA = opts.isCA ?? false;
  const cnIsIp = parseIp(commonName) !== undefined;
  const cnIsHost = !cnIsIp && /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(commonName);
  const dnsNames = opts.dnsNames ?? (!isCA && cnIsHost ? [commonName] : []);
  const ipAddresses = opts.ipAddresses ?? (cnIsIp && !isCA ? [commonName] : []);
  const days = opts.days ?? 365;

  // Guards against passing a generateSelfSigned() result ({ privateKey }) as the issuer, which would self-sign silently.
  if (opts.issuer !== undefined && (opts.issuer.key === undefined || opts.issuer.cert === undefined)) {
    throw new TypeError('issuer must be { cert, key }');
  }
  const { privateKey, publicKey } = provider.generateSigningKey(kind);
  const signingKey = opts.issuer?.key ?? privateKey;
  const { algorithm, scheme } = signatureAlgorithmFor(signingKey);

  // Whole seconds: DER times carry no fractions.
  const start = opts.notBefore ?? new Date(Date.now() - 5 * 60_000);
  const notBefore = new Date(Math.floor(start.getTime() / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + days * DAY_MS);

  const subjectKeyId = keyIdentifier(provider, publicKey);
  const authorityKeyId = opts.issuer ? (opts.issuer.cert.subjectKeyId ?? keyIdentifier(provider, opts.issuer.cert.publicKey)) : subjectKeyId;

  // RFC 5280 §4.2.1.9: basicConstraints critical in CA certificates; we mark it critical in all, as OpenSSL does.
  const basicConstraints =
    isCA ?
      encodeSequence(encodeBoolean(true), ...(opts.pathLenConstraint !== undefined ? [encodeInteger(opts.pathLenConstraint)] : []))
    : encodeSequence();
  const keyUsage = isCA ? KU_KEY_CERT_SIGN | KU_CRL_SIGN | KU_DIGITAL_SIGNATURE : KU_DIGITAL_SIGNATURE;
  const extensions: Uint8Array[] = [
    encodeExtension(OID.basicConstraints, true, basicConstraints),
    encodeExtension(OID.keyUsage, true, encodeNamedBits(keyUsage)),
  ];
  if (!isCA) extensions.push(encodeExtension(OID.extKeyUsage, false, encodeSequence(encodeOid(OID.serverAuth), encodeOid(OID.clientAuth))));
  if (dnsNames.length + ipAddresses.length > 0) {
    extensions.push(encodeExtension(OID.subjectAltName, false, encodeSubjectAltName(dnsNames, ipAddresses)));
  }
  extensions.push(encodeExtension(OID.subjectKeyIdentifier, false, encodeOctetString(subjectKeyId)));
  // §4.2.1.1: authorityKeyIdentifier MUST be present except in self-signed certificates; harmless there.
  extensions.push(encodeExtension(OID.authorityKeyIdentifier, false, encodeSequence(encodeImplicit(0, authorityKeyId))));

  const subject = encodeName(commonName);
  const tbs = encodeSequence(
    encodeExplicit(0, encodeInteger(2)), // v3
    encodeInteger(randomSerial(provider)),
    algorithm,
    opts.issuer ? opts.issuer.cert.subject.raw : subject,
    encodeSequence(encodeTime(notBefore), encodeTime(notAfter)),
    subject,
    encodeSubjectPublicKeyInfo(publicKey),
    encodeExplicit(3, encodeSequence(...extensions)),
  );
  const signature = provider.sign(scheme, signingKey, tbs);
  const certDer = encodeSequence(tbs, algorithm, encodeBitString(signature));
  return { certDer, privateKey, cert: parseCertificate(certDer) };
}

