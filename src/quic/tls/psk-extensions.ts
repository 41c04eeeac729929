/**
 * Codecs of the extensions session resumption uses (RFC 8446 §4.2.9, §4.2.10, §4.2.11):
 * pre_shared_key in the ClientHello and the ServerHello, psk_key_exchange_modes, and early_data
 * as it appears in a NewSessionTicket. Every parse failure is a TlsAlert(decode_error).
 */
import { AlertDescription } from './constants.js';
import { TlsAlert } from './alerts.js';
import { parseBody } from './extensions.js';
import { TlsWriter } from './wire.js';

/** PskKeyExchangeMode (RFC 8446 §4.2.9). We only offer and accept psk_dhe_ke: forward secrecy. */
export const PSK_KE = 0;
export const PSK_DHE_KE = 1;

/** `PskIdentity` (RFC 8446 §4.2.11). */
export interface PskIdentity {
  identity: Uint8Array;
  obfuscatedTicketAge: number;
}

/** `OfferedPsks`, plus where its binders start, which the binder computation needs. */
export interface OfferedPsks {
  identities: PskIdentity[];
  binders: Uint8Array[];
  /**
   * Bytes of the `binders` vector including its 2-byte length: a ClientHello whose last
   * extension is pre_shared_key ends with exactly these bytes, and the binders are computed over
   * the ClientHello without them (RFC 8446 §4.2.11.2).
   */
  bindersLength: number;
}

/** pre_shared_key in a ClientHello; binders may be placeholders to be patched in later. */
export function encodeOfferedPsks(identities: readonly PskIdentity[], binders: readonly Uint8Array[]): Uint8Array {
  const w = new TlsWriter();
  w.vector(2, (l) => {
    for (const id of identities) l.opaque(2, id.identity).u32(id.obfuscatedTicketAge);
  });
  w.vector(2, (l) => {
    for (const b of binders) l.opaque(1, b);
  });
  return w.finish();
}

export function parseOfferedPsks(data: Uint8Array): OfferedPsks {
  return parseBody(data, 'pre_shared_key', (r) => {
    // identities<7..2^16-1>, binders<33..2^16-1> (RFC 8446 §4.2.11).
    const ids = r.sub(2, 'identities', 7);
    const identities: PskIdentity[] = [];
    while (ids.remaining > 0) {
      const identity = ids.vector(2, 1);
      identities.push({ identity, obfuscatedTicketAge: ids.u32() });
    }
    const start = r.offset;
    const list = r.sub(2, 'binders', 33);
    const binders: Uint8Array[] = [];
    while (list.remaining > 0) binders.push(list.vector(1, 32));
    if (binders.length !== identities.length) {
      // One binder per identity, in the same order (RFC 8446 §4.2.11).
      throw new TlsAlert(AlertDescription.illegalParameter, `pre_shared_key: ${identities.length} identities but ${binders.length} binders`);
    }
    return { identities, binders, bindersLength: r.offset - start };
  });
}

/** pre_shared_key in a ServerHello: `uint16 selected_identity`. */
export function encodeSelectedIdentity(index: number): Uint8Array {
  return new TlsWriter().u16(index).finish();
}

export function parseSelectedIdentity(data: Uint8Array): number {
  return parseBody(data, 'pre_shared_key', (r) => r.u16());
}

/** `PskKeyExchangeMode ke_modes<1..255>`. */
export function encodePskModes(modes: readonly number[]): Uint8Array {
  const w = new TlsWriter();
  w.vector(1, (l) => {
    for (const m of modes) l.u8(m);
  });
  return w.finish();
}

export function parsePskModes(data: Uint8Array): number[] {
  return parseBody(data, 'psk_key_exchange_modes', (r) => [...r.vector(1, 1)]);
}

/** early_data in a NewSessionTicket: `uint32 max_early_data_size` (RFC 8446 §4.2.10). */
export function encodeMaxEarlyData(size: number): Uint8Array {
  return new TlsWriter().u32(size).finish();
}

export function parseMaxEarlyData(data: Uint8Array): number {
  return parseBody(data, 'early_data', (r) => r.u32());
}
