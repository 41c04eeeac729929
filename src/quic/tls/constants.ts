/**
 * TLS 1.3 code points (RFC 8446 §4, §4.2, §6) and the limits our parser enforces.
 * Names follow the RFC's enums, in camelCase.
 */

/** HandshakeType (RFC 8446 §4). */
export const HandshakeType = {
  clientHello: 1,
  serverHello: 2,
  newSessionTicket: 4,
  endOfEarlyData: 5,
  encryptedExtensions: 8,
  certificate: 11,
  certificateRequest: 13,
  certificateVerify: 15,
  finished: 20,
  keyUpdate: 24,
  messageHash: 254,
} as const;
export type HandshakeType = (typeof HandshakeType)[keyof typeof HandshakeType];

/** ExtensionType (RFC 8446 §4.2, RFC 9001 §8.2). */
export const ExtensionType = {
  serverName: 0,
  supportedGroups: 10,
  signatureAlgorithms: 13,
  applicationLayerProtocolNegotiation: 16,
  preSharedKey: 41,
  earlyData: 42,
  supportedVersions: 43,
  cookie: 44,
  pskKeyExchangeModes: 45,
  certificateAuthorities: 47,
  postHandshakeAuth: 49,
  signatureAlgorithmsCert: 50,
  keyShare: 51,
  quicTransportParameters: 0x39,
} as const;

/** AlertDescription (RFC 8446 §6), the ones we send. */
export const AlertDescription = {
  closeNotify: 0,
  unexpectedMessage: 10,
  badRecordMac: 20,
  handshakeFailure: 40,
  badCertificate: 42,
  unsupportedCertificate: 43,
  certificateRevoked: 44,
  certificateExpired: 45,
  certificateUnknown: 46,
  illegalParameter: 47,
  unknownCa: 48,
  accessDenied: 49,
  decodeError: 50,
  decryptError: 51,
  protocolVersion: 70,
  insufficientSecurity: 71,
  internalError: 80,
  missingExtension: 109,
  unsupportedExtension: 110,
  unrecognizedName: 112,
  noApplicationProtocol: 120,
} as const;
export type AlertDescription = (typeof AlertDescription)[keyof typeof AlertDescription];

/** ProtocolVersion values (RFC 8446 §4.1.2, §4.2.1). */
export const TLS12_VERSION = 0x0303;
export const TLS13_VERSION = 0x0304;

/**
 * The ServerHello.random that marks a HelloRetryRequest: SHA-256("HelloRetryRequest")
 * (RFC 8446 §4.1.3).
 */
export const HELLO_RETRY_REQUEST_RANDOM = Uint8Array.from([
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
  0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
]);

/** Largest handshake message body we accept (the fuzz-safety bound; real flights are far smaller). */
export const MAX_HANDSHAKE_MESSAGE_LENGTH = 64 * 1024;
/** Longest certificate chain we accept from a peer. */
export const MAX_CERTIFICATE_CHAIN_LENGTH = 16;
