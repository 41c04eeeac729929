/**
 * Where the client puts a response body: a file (written in large synchronous pieces, so a
 * 100 MB download costs a few hundred system calls), stdout, a digest, or nowhere.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';

export interface BodySink {
  write(data: Uint8Array): void;
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
    process.stdout.write(data);
  }
  end(): void {}
  abort(): void {}
}

/** Counts and forgets. */
export class DiscardSink implements BodySink {
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
    this.chunks?.push(data);
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
