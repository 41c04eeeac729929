/**
 * Send buffers for one socket, so that sending a datagram allocates nothing of ours.
 *
 * The connection writes each datagram into the endpoint's staging buffer
 * (QuicConnection.writeDatagram, see Endpoint.datagramBuffer), the endpoint copies it into a pool
 * buffer (copyWithin: both are slabs of the byte arena) and hands that to socket.send(). Node keeps a reference until the send
 * completes (the kernel may copy later than the call), so a buffer is busy from take() until its
 * send callback runs. Each slot has its own callback, made once with the slot: the pool relies on
 * no completion order and allocates nothing per send.
 *
 * peek() does not reserve: the datagram may not be sent (a simulated loss), and the buffer stays free.
 * When every slot is busy and the pool is at its capacity, peek() returns a fresh buffer instead
 * (counted in `misses`): sending never waits. A connection that needs bigger buffers (a larger
 * --mtu) grows the buffer size; smaller buffers are replaced as they come up free.
 *
 * Slot buffers are slabs of the shared byte arena (byte-arena.ts), like the staging buffer and
 * the send buffers' chunks, so copies between them are copyWithin without a view (issue 3).
 * A slot keeps its slab for the pool's life; a replaced (too small) one goes back to the arena.
 * Miss buffers are ordinary arrays: they are handed to the socket with no way to learn when
 * they are free again.
 */
import { sharedArena, takeBytes } from '../wire/byte-arena.js';

export type SendCallback = (err: Error | null) => void;

export class DatagramPool {
  /** Fresh buffers handed out because the pool was exhausted or too small. */
  misses = 0;
  private readonly buffers: Uint8Array[] = [];
  private readonly callbacks: SendCallback[] = [];
  /** Indices of free slots (a stack: the most recently released buffer is warm in cache). */
  private readonly free: number[] = [];
  /** Per slot: 1 when its send was taken with `counted`. */
  private counted = new Uint8Array(0);
  private readonly unpooled: SendCallback;
  private readonly unpooledCounted: SendCallback;
  private disposed = false;

  /**
   * @param bufferSize bytes per buffer
   * @param capacity the most buffers the pool keeps (slots are made on demand)
   * @param onSent runs after every send taken from this pool, with the send's error and whether
   *   it was taken with `counted` (the endpoint counts sends while it closes)
   */
  constructor(private bufferSize: number, readonly capacity: number, private readonly onSent: (err: Error | null, counted: boolean) => void) {
    if (!Number.isSafeInteger(bufferSize) || bufferSize <= 0) throw new RangeError(`datagram pool: bad buffer size ${bufferSize}`);
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new RangeError(`datagram pool: bad capacity ${capacity}`);
    this.unpooled = (err) => this.onSent(err, false);
    this.unpooledCounted = (err) => this.onSent(err, true);
  }

  /** Buffers made so far (free or busy). */
  get count(): number {
    return this.buffers.length;
  }

  /** Buffers waiting for their send to complete. */
  get busy(): number {
    return this.buffers.length - this.free.length;
  }

  /** Bytes of the buffers the pool makes now. */
  get size(): number {
    return this.bufferSize;
  }

  /** A buffer of at least `min` bytes to write the next datagram into; it stays free until take(). */
  peek(min: number): Uint8Array {
    if (min > this.bufferSize) this.bufferSize = min;
    if (this.disposed) return new Uint8Array(this.bufferSize);
    if (this.free.length === 0) {
      if (this.buffers.length >= this.capacity) {
        this.misses++;
        return new Uint8Array(this.bufferSize);
      }
      this.addSlot();
    }
    const top = this.free[this.free.length - 1]!;
    if (this.buffers[top]!.length < min) {
      sharedArena().release(this.buffers[top]!);
      this.buffers[top] = takeBytes(this.bufferSize);
    }
    return this.buffers[top]!;
  }

  /**
   * Marks `buf` busy (when it is the pool's buffer last peeked) and returns the callback to give
   * socket.send(): it frees the buffer and reports to `onSent`.
   */
  take(buf: Uint8Array, counted: boolean): SendCallback {
    const top = this.free.length > 0 ? this.free[this.free.length - 1]! : -1;
    if (top < 0 || this.buffers[top] !== buf) return counted ? this.unpooledCounted : this.unpooled;
    this.free.pop();
    this.counted[top] = counted ? 1 : 0;
    return this.callbacks[top]!;
  }

  /**
   * Gives the slots' slabs back to the arena (the endpoint shut down). Free slots go now; a busy
   * one when its send completes (the socket may still read it until then). Afterwards peek()
   * hands out ordinary arrays.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const arena = sharedArena();
    for (const i of this.free) arena.release(this.buffers[i]!);
    this.free.length = 0;
  }

  private addSlot(): void {
    const i = this.buffers.length;
    this.buffers.push(takeBytes(this.bufferSize));
    if (this.counted.length <= i) {
      const grown = new Uint8Array(Math.max(16, this.counted.length * 2));
      grown.set(this.counted);
      this.counted = grown;
    }
    this.callbacks.push((err) => {
      if (this.disposed) sharedArena().release(this.buffers[i]!);
      else this.free.push(i);
      this.onSent(err, this.counted[i] === 1);
    });
    this.free.push(i);
  }
}
