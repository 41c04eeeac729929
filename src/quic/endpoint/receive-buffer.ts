/**
 * The one buffer an endpoint copies every received datagram into (issue 3: the hot path
 * allocates nothing per packet).
 *
 * Node's dgram hands each message over in a fresh `Buffer`. The core must not see a `Buffer`
 * (its `slice` is a view, and the core copies what it keeps with plain-array semantics), so the
 * endpoint used to wrap each message in a new `Uint8Array` view: one object per datagram, and
 * since every datagram lived in a different ArrayBuffer, the view caches further down (received
 * STREAM data, the AEAD's input ranges) missed every time as well.
 *
 * Here the message is copied (`TypedArray.set` of the whole message: no view) into a buffer this
 * endpoint owns, and the core gets a view of its first `length` bytes. Those views are made once
 * per length and kept in a small direct-mapped table: a peer's datagrams come in a few sizes
 * (full packets, ACK-only packets), so in steady state every datagram is a table hit.
 *
 * The price is that the bytes are overwritten by the next datagram. Every received byte the core
 * keeps past a datagram's processing is therefore a copy (docs/ARCHITECTURE.md, "Received
 * datagrams"; test/quic/connection/reused-receive-buffer.test.ts checks each kind).
 */

/**
 * Bytes kept for one datagram: more than any UDP payload (65,527 over IPv6 without jumbograms,
 * RFC 8200 §5; libuv reads at most 64 KiB per message), so a message always fits.
 */
export const RECEIVE_BUFFER_BYTES = 65536;
/** Views kept, indexed by length modulo this (a power of two). */
const VIEW_SLOTS = 256;

export class ReceiveBuffer {
  private readonly bytes: Uint8Array;
  private readonly views: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(VIEW_SLOTS).fill(undefined);
  /** Length of the datagram loaded last. */
  private loaded = 0;

  constructor(readonly capacity: number = RECEIVE_BUFFER_BYTES) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) throw new RangeError(`receive buffer: bad capacity ${capacity}`);
    this.bytes = new Uint8Array(capacity);
  }

  /**
   * Copies `msg` in and returns a plain Uint8Array of exactly its bytes, valid until the next
   * call; undefined when it does not fit (the caller drops it).
   */
  load(msg: Uint8Array): Uint8Array | undefined {
    const n = msg.length;
    if (n > this.capacity) return undefined;
    this.bytes.set(msg);
    this.loaded = n;
    const slot = n & (VIEW_SLOTS - 1);
    const cached = this.views[slot];
    if (cached !== undefined && cached.length === n) return cached;
    const view = this.bytes.subarray(0, n);
    this.views[slot] = view;
    return view;
  }

  /**
   * Overwrites the last datagram's bytes with `value`, as the next datagram would: a test aid
   * (EndpointOptions.scribbleReceived), so a view kept past its datagram shows junk at once.
   */
  scribble(value: number): void {
    this.bytes.fill(value, 0, this.loaded);
  }
}
