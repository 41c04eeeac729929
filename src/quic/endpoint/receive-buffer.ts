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
 * The buffer is a slab of the shared byte arena (wire/byte-arena.ts), like the reassembly
 * blocks of pull-mode streams: received STREAM data is then copied into its block by
 * `copyWithin` inside the arena's one ArrayBuffer, with no view of the source range (a STREAM
 * frame that does not start where the previous datagram's did missed the view cache of
 * wire/bytes-copy.ts: bench:alloc --udp, about 4 B per datagram).
 *
 * The price is that the bytes are overwritten by the next datagram. Every received byte the core
 * keeps past a datagram's processing is therefore a copy (docs/ARCHITECTURE.md, "Received
 * datagrams"; test/quic/connection/reused-receive-buffer.test.ts checks each kind).
 */

import { sharedArena, takeBytes } from '../wire/byte-arena.js';
import { LengthViews } from '../wire/length-views.js';

/**
 * Bytes kept for one datagram: more than any UDP payload (65,527 over IPv6 without jumbograms,
 * RFC 8200 §5; libuv reads at most 64 KiB per message), so a message always fits.
 */
export const RECEIVE_BUFFER_BYTES = 65536;

export class ReceiveBuffer {
  private bytes: Uint8Array;
  private views: LengthViews;
  /** Length of the datagram loaded last. */
  private loaded = 0;

  constructor(readonly capacity: number = RECEIVE_BUFFER_BYTES) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) throw new RangeError(`receive buffer: bad capacity ${capacity}`);
    this.bytes = takeBytes(capacity);
    this.views = new LengthViews(this.bytes);
  }

  /**
   * Gives the arena slab back (the endpoint shut down: other endpoints may use it); the buffer
   * goes on working on an ordinary array of its own.
   */
  dispose(): void {
    if (!sharedArena().release(this.bytes)) return;
    this.bytes = new Uint8Array(this.capacity);
    this.views = new LengthViews(this.bytes);
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
    return this.views.view(n);
  }

  /**
   * Overwrites the last datagram's bytes with `value`, as the next datagram would: a test aid
   * (EndpointOptions.scribbleReceived), so a view kept past its datagram shows junk at once.
   */
  scribble(value: number): void {
    this.bytes.fill(value, 0, this.loaded);
  }
}
