/**
 * QUIC transport error codes and the typed error every wire parser throws.
 *
 * A `QuicError` carries the transport error code the connection puts in its CONNECTION_CLOSE
 * frame (RFC 9000 §10.2, §20.1), the frame type that triggered it when known (the Frame Type
 * field of a 0x1c CONNECTION_CLOSE, RFC 9000 §19.19), and a short reason phrase.
 */

/** Transport error codes, RFC 9000 §20.1 (plus RFC 9368 §10.2.2). */
export const TransportErrorCode = {
  NO_ERROR: 0x0,
  INTERNAL_ERROR: 0x1,
  CONNECTION_REFUSED: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  STREAM_LIMIT_ERROR: 0x4,
  STREAM_STATE_ERROR: 0x5,
  FINAL_SIZE_ERROR: 0x6,
  FRAME_ENCODING_ERROR: 0x7,
  TRANSPORT_PARAMETER_ERROR: 0x8,
  CONNECTION_ID_LIMIT_ERROR: 0x9,
  PROTOCOL_VIOLATION: 0xa,
  INVALID_TOKEN: 0xb,
  APPLICATION_ERROR: 0xc,
  CRYPTO_BUFFER_EXCEEDED: 0xd,
  KEY_UPDATE_ERROR: 0xe,
  AEAD_LIMIT_REACHED: 0xf,
  NO_VIABLE_PATH: 0x10,
  /** RFC 9368 §10.2.2 (compatible version negotiation). */
  VERSION_NEGOTIATION_ERROR: 0x11,
  /** First code of the CRYPTO_ERROR range: 0x100 + TLS alert description (RFC 9001 §4.8). */
  CRYPTO_ERROR: 0x100,
} as const;

export type TransportErrorCodeName = keyof typeof TransportErrorCode;

/** The last code of the CRYPTO_ERROR range (RFC 9000 §20.1). */
export const CRYPTO_ERROR_MAX = 0x1ff;

/** The transport error code for a TLS alert (RFC 9001 §4.8). */
export function cryptoError(alertDescription: number): number {
  return TransportErrorCode.CRYPTO_ERROR + (alertDescription & 0xff);
}

/** True for codes in the CRYPTO_ERROR range 0x100-0x1ff. */
export function isCryptoError(code: number): boolean {
  return code >= TransportErrorCode.CRYPTO_ERROR && code <= CRYPTO_ERROR_MAX;
}

const NAMES = new Map<number, string>();
for (const [name, code] of Object.entries(TransportErrorCode)) {
  if (code !== TransportErrorCode.CRYPTO_ERROR) NAMES.set(code, name);
}

/** The RFC name of a transport error code, e.g. `FRAME_ENCODING_ERROR` or `CRYPTO_ERROR(0x128)`. */
export function transportErrorName(code: number): string {
  const name = NAMES.get(code);
  if (name !== undefined) return name;
  if (isCryptoError(code)) return `CRYPTO_ERROR(0x${code.toString(16)})`;
  return `0x${code.toString(16)}`;
}

/**
 * A QUIC error. `code` is a transport error code; `frameType` names the offending frame when
 * the failure happened while parsing one (parsers fill it in); `reason` is the text that goes in
 * the Reason Phrase of CONNECTION_CLOSE.
 */
export class QuicError extends Error {
  readonly code: number;
  frameType?: number;
  readonly reason: string;

  constructor(code: number, reason: string, frameType?: number) {
    super(frameType === undefined
      ? `${transportErrorName(code)}: ${reason}`
      : `${transportErrorName(code)}: ${reason} (frame type 0x${frameType.toString(16)})`);
    this.name = 'QuicError';
    this.code = code;
    this.reason = reason;
    if (frameType !== undefined) this.frameType = frameType;
  }

  /** Records the frame type on an error raised below the frame parser, and refreshes the message. */
  withFrameType(frameType: number): this {
    if (this.frameType === undefined) {
      this.frameType = frameType;
      this.message = `${transportErrorName(this.code)}: ${this.reason} (frame type 0x${frameType.toString(16)})`;
    }
    return this;
  }
}

/** Shorthand constructors used by the parsers. */
export function frameEncodingError(reason: string, frameType?: number): QuicError {
  return new QuicError(TransportErrorCode.FRAME_ENCODING_ERROR, reason, frameType);
}

export function protocolViolation(reason: string): QuicError {
  return new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, reason);
}

export function transportParameterError(reason: string): QuicError {
  return new QuicError(TransportErrorCode.TRANSPORT_PARAMETER_ERROR, reason);
}

/** A misuse of the encoding API by our own code (a value that cannot be encoded, a full buffer). */
export function internalError(reason: string): QuicError {
  return new QuicError(TransportErrorCode.INTERNAL_ERROR, reason);
}
