import { AlertDescription } from './constants.js';

const ALERT_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(AlertDescription).map(([name, code]) => [code, name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)]),
);

/** The RFC 8446 §6 name of an alert code, e.g. 47 → "illegal_parameter". */
export function alertName(alert: number): string {
  return ALERT_NAMES.get(alert) ?? `alert_${alert}`;
}

/**
 * A fatal TLS alert. TLS over QUIC sends no alert records: the connection closes with
 * CRYPTO_ERROR 0x100 + alert instead (RFC 9001 §4.8), see {@link TlsAlert.quicErrorCode}.
 */
export class TlsAlert extends Error {
  readonly alert: number;

  constructor(alert: number, message?: string, options?: { cause?: unknown }) {
    super(`${alertName(alert)}${message === undefined ? '' : `: ${message}`}`, options);
    this.name = 'TlsAlert';
    this.alert = alert;
  }

  /** The QUIC transport error code for this alert (RFC 9001 §4.8). */
  get quicErrorCode(): number {
    return 0x100 + this.alert;
  }
}
