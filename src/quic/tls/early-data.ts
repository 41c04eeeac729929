/**
 * The server's 0-RTT decision inputs that are about QUIC rather than TLS: whether the transport
 * parameters remembered in a ticket still hold (RFC 9000 §7.4.1, RFC 9001 §4.6.2).
 *
 * Anti-replay (RFC 8446 §8, RFC 9001 §9.2): we accept early data only within the ticket-age
 * window of resumption.ts (a freshness check, §8.3); there is no single-use ticket store or
 * ClientHello recording, so 0-RTT data can be replayed within that window. Only idempotent
 * requests belong in 0-RTT (our hq server's GETs are).
 */
import { decodeTransportParameters, type TransportParameters } from '../wire/transport-params.js';

/** The limits a client may use in 0-RTT from remembered parameters (RFC 9000 §7.4.1, RFC 9221 §3). */
const REMEMBERED_LIMITS = [
  'activeConnectionIdLimit',
  'initialMaxData',
  'initialMaxStreamDataBidiLocal',
  'initialMaxStreamDataBidiRemote',
  'initialMaxStreamDataUni',
  'initialMaxStreamsBidi',
  'initialMaxStreamsUni',
] as const satisfies readonly (keyof TransportParameters)[];

/**
 * True when our current parameters allow everything the remembered ones did, so 0-RTT data
 * sent under the remembered limits cannot violate the new ones. Unparsable remembered
 * parameters mean no 0-RTT (never an error: the handshake itself goes on).
 */
export function earlyDataParamsCompatible(remembered: Uint8Array, current: Uint8Array): boolean {
  let then: TransportParameters;
  let now: TransportParameters;
  try {
    then = decodeTransportParameters(remembered, 'server');
    now = decodeTransportParameters(current, 'server');
  } catch {
    return false;
  }
  for (const k of REMEMBERED_LIMITS) if (now[k] < then[k]) return false;
  // RFC 9221 §3: DATAGRAM support may not go away or shrink.
  if (then.maxDatagramFrameSize !== undefined && (now.maxDatagramFrameSize ?? 0) < then.maxDatagramFrameSize) return false;
  return true;
}
