/**
 * Where the client puts a response body: a file (written in large synchronous pieces, so a
 * 100 MB download costs a few hundred system calls), stdout, a digest, or nowhere.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { takeBytes } from '../wire/byte-arena.js';

/** Copies up to `length` body bytes into `into` at `offset`: a count, 0 for none now, -1 at the end (QuicStream.read). */
export type BodyReader = (into: Uint8Array, offset: number, length: number) => number;

export interface BodySink {
  /** Body bytes, valid only during the call (the client reuses the buffer): copy what you keep. */
  write(data: Uint8Array): void;
  /**
   * Optional: reads the next body bytes straight into the sink's own storage with `read`
   * (one copy, no allocation) and returns what `read` returned.
   */
  fill?(read: BodyReader): number;
  /** The body is complete. */
  end(): void;
  /** The body will not complete (reset stream, failed connection). */
  abort(): void;
}

const FILE_BUFFER_BYTES = 1 << 20;

export class FileSink implements BodySink {
  readonly path: string;
  private fd: number | undefined;
  private readonly buf = Buffer.allocUnsafe(FILE_BUFFER_BYTES);
  private used = 0;

  /** Creates (or truncates) `path` now, so an unwritable destination fails before any request. */
  constructor(path: string) {
    this.path = path;
    this.fd = openSync(path, 'w');
  }

  fill(read: BodyReader): number {
    if (this.used === this.buf.length) this.flush();
    const n = read(this.buf, this.used, this.buf.length - this.used);
    if (n > 0) this.used += n;
    return n;
  }

  write(data: Uint8Array): void {
    if (this.fd === undefined) return;
    if (data.length >= FILE_BUFFER_BYTES) {
      this.flush();
      writeAll(this.fd, data);
      return;
    }
    if (this.used + data.length > FILE_BUFFER_BYTES) this.flush();
    this.buf.set(data, this.used);
    this.used += data.length;
  }

  end(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
  }

  /** Closes and removes the partial file, so a failed download never looks like a good one. */
  abort(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.path, { force: true });
  }

  private flush(): void {
    if (this.used === 0 || this.fd === undefined) return;
    writeAll(this.fd, this.buf.subarray(0, this.used));
    this.used = 0;
  }
}

function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

/** Writes to process.stdout (which buffers if the reader is slow). */
export class StdoutSink implements BodySink {
  write(data: Uint8Array): void {
    // The stream writes later: it gets its own copy.
    process.stdout.write(Buffer.from(data));
  }
  end(): void {}
  abort(): void {}
}

/**
 * Where DiscardSink reads bytes it throws away (shared: nothing is kept). A slab of the byte
 * arena, like a pull-mode stream's blocks, so a read is a copyWithin with no view of the block
 * (issue 3); taken on first use, so importing this module does not fix the arena's size.
 */
let discarded: Uint8Array | undefined;

/** Counts and forgets. */
export class DiscardSink implements BodySink {
  fill(read: BodyReader): number {
    const into = (discarded ??= takeBytes(64 * 1024));
    return read(into, 0, into.length);
  }
  write(): void {}
  end(): void {}
  abort(): void {}
}

/** Keeps a SHA-256 of the body (and optionally the bytes themselves, for small bodies). */
export class DigestSink implements BodySink {
  bytes = 0;
  digest: string | undefined;
  private readonly hash: Hash = createHash('sha256');
  private readonly chunks: Uint8Array[] | undefined;

  constructor(opts: { keep?: boolean } = {}) {
    this.chunks = opts.keep ? [] : undefined;
  }

  write(data: Uint8Array): void {
    this.bytes += data.length;
    this.hash.update(data);
    this.chunks?.push(data.slice());
  }

  end(): void {
    this.digest = this.hash.digest('hex');
  }

  abort(): void {}

  /** The body, when constructed with `keep`. */
  get body(): Buffer {
    return Buffer.concat(this.chunks ?? []);
  }
}
