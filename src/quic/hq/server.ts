/**
 * The HTTP/0.9 server application: answers each request stream with a file under the web root
 * or a synthetic `/_bytes/N` object, streamed in chunks as the peer acknowledges them, so a
 * 100 MB file or a 10 GiB object never sits in memory: a response is topped up to
 * `highWatermark` unacknowledged bytes whenever it falls below `lowWatermark`.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { QuicSession } from '../endpoint/session.js';
import type { QuicStream } from '../endpoint/stream.js';
import { HqError, MAX_REQUEST_BYTES } from './constants.js';
import { parseRequestLine, resolveRequestPath, type ResolveOptions } from './request.js';
import { MAX_SYNTHETIC_CHUNK, syntheticChunk } from './synthetic.js';

export interface HqServerOptions extends ResolveOptions {
  /** Unacknowledged bytes a response is topped up to (default 4 MiB). */
  highWatermark?: number;
  /** Top up when fewer are outstanding (default 2 MiB). */
  lowWatermark?: number;
  /** File read size (default 256 KiB). */
  readChunk?: number;
  /** One line per request (path and outcome), e.g. for a verbose server. */
  log?: (line: string) => void;
}

export interface HqServerStats {
  requests: number;
  /** Responses sent in full (FIN written). */
  completed: number;
  /** Requests answered with RESET_STREAM (bad request, forbidden, not found, read error). */
  refused: number;
  /** Responses abandoned because the client stopped them or the connection ended. */
  aborted: number;
  bodyBytes: number;
}

/** Where a response's bytes come from. */
interface BodySource {
  readonly size: number;
  /** Bytes [offset, offset + length); synchronous for synthetic objects. */
  read(offset: number, length: number): Uint8Array | Promise<Uint8Array>;
  close(): void;
}

class SyntheticSource implements BodySource {
  constructor(readonly size: number) {}
  read(offset: number, length: number): Uint8Array {
    return syntheticChunk(offset, Math.min(length, MAX_SYNTHETIC_CHUNK));
  }
  close(): void {}
}

class FileSource implements BodySource {
  private readonly buf: Buffer;
  private closed = false;
  constructor(private readonly fh: FileHandle, readonly size: number, chunk: number) {
    this.buf = Buffer.allocUnsafe(chunk);
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    const n = Math.min(length, this.buf.length);
    const { bytesRead } = await this.fh.read(this.buf, 0, n, offset);
    if (bytesRead === 0) throw new Error('the file shrank while being served');
    // The stream copies what it is given, so the buffer can be reused for the next read.
    return this.buf.subarray(0, bytesRead);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.fh.close().catch(() => undefined);
  }
}

/** One response being streamed. */
class Response {
  private offset = 0;
  private reading = false;
  private finished = false;

  constructor(
    private readonly server: HqServer,
    private readonly owner: Set<Response>,
    private readonly stream: QuicStream,
    private readonly source: BodySource,
    private readonly path: string,
  ) {
    owner.add(this);
  }

  start(): void {
    this.stream.onStopSending(() => this.abort('stopped by the client'));
    this.stream.onWritable(() => this.pump(), this.server.lowWatermark);
    this.pump();
  }

  /** Writes until `highWatermark` bytes are outstanding, the body ends, or a file read is pending. */
  pump(): void {
    if (this.reading || this.finished) return;
    const high = this.server.highWatermark;
    while (this.stream.bufferedBytes < high) {
      const left = this.source.size - this.offset;
      if (left <= 0) {
        this.finish();
        return;
      }
      const piece = this.source.read(this.offset, Math.min(left, this.server.readChunk));
      if (piece instanceof Promise) {
        this.reading = true;
        piece.then(
          (data) => {
            this.reading = false;
            if (this.finished) return;
            this.write(data);
            this.pump();
          },
          (err: unknown) => {
            this.reading = false;
            this.fail(err);
          },
        );
        return;
      }
      this.write(piece);
    }
  }

  abort(why: string): void {
    if (this.finished) return;
    this.finished = true;
    this.source.close();
    this.end('aborted', `${this.path}: ${why}`);
  }

  private write(data: Uint8Array): void {
    this.offset += data.length;
    const last = this.offset >= this.source.size;
    try {
      this.stream.write(data, last);
    } catch (e) {
      // The stream or the connection went away between the read and the write.
      this.abort((e as Error).message);
      return;
    }
    this.server.stats.bodyBytes += data.length;
    if (last) this.finish();
  }

  private end(outcome: 'completed' | 'aborted', line: string): void {
    this.owner.delete(this);
    this.server.onResponseEnd(outcome, line);
  }

  private finish(): void {
    if (this.finished) return;
    if (!this.stream.finSent) this.stream.end();
    this.finished = true;
    this.source.close();
    this.end('completed', `${this.path}: ${this.source.size} bytes`);
  }

  private fail(err: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.source.close();
    this.stream.reset(HqError.INTERNAL_ERROR);
    this.end('aborted', `${this.path}: ${(err as Error)?.message ?? String(err)}`);
  }
}

export class HqServer {
  readonly stats: HqServerStats = { requests: 0, completed: 0, refused: 0, aborted: 0, bodyBytes: 0 };
  readonly highWatermark: number;
  readonly lowWatermark: number;
  readonly readChunk: number;
  private readonly opts: HqServerOptions;
  private readonly active = new Map<QuicSession, Set<Response>>();

  constructor(opts: HqServerOptions = {}) {
    this.opts = opts;
    this.highWatermark = opts.highWatermark ?? 4 << 20;
    this.lowWatermark = Math.min(opts.lowWatermark ?? 2 << 20, this.highWatermark);
    this.readChunk = opts.readChunk ?? 256 << 10;
  }

  /** The handler to give QuicServer.listen. */
  readonly handleConnection = (session: QuicSession): void => {
    const responses = new Set<Response>();
    this.active.set(session, responses);
    session.onStream((stream) => this.handleStream(session, stream));
    void session.closed.then(() => {
      for (const r of [...responses]) r.abort('connection closed');
      this.active.delete(session);
    });
  };

  private handleStream(session: QuicSession, stream: QuicStream): void {
    if (!stream.bidirectional) return; // hq has no use for unidirectional streams
    let received = new Uint8Array(0);
    let answered = false;
    stream.onData((data, fin) => {
      if (answered) return;
      if (data.length > 0) {
        const next = new Uint8Array(received.length + data.length);
        next.set(received);
        next.set(data, received.length);
        received = next;
      }
      const line = parseRequestLine(received, fin);
      if (line.kind === 'incomplete') {
        if (received.length > MAX_REQUEST_BYTES) this.refuse(stream, HqError.BAD_REQUEST, 'request line too long');
        return;
      }
      answered = true;
      this.stats.requests++;
      if (line.kind === 'error') {
        this.refuse(stream, line.code, line.reason);
        return;
      }
      void this.answer(session, stream, line.path);
    });
  }

  private async answer(session: QuicSession, stream: QuicStream, path: string): Promise<void> {
    const target = await resolveRequestPath(path, this.opts);
    if (session.terminated) return;
    if (target.kind === 'error') {
      this.refuse(stream, target.code, `${path}: ${target.reason}`);
      return;
    }
    let source: BodySource;
    if (target.kind === 'synthetic') {
      source = new SyntheticSource(target.size);
    } else {
      try {
        source = new FileSource(await open(target.file, 'r'), target.size, this.readChunk);
      } catch (e) {
        this.refuse(stream, HqError.NOT_FOUND, `${path}: ${(e as Error).message}`);
        return;
      }
      if (session.terminated) {
        source.close();
        return;
      }
    }
    const responses = this.active.get(session);
    if (!responses) {
      source.close();
      return;
    }
    new Response(this, responses, stream, source, path).start();
  }

  private refuse(stream: QuicStream, code: number, reason: string): void {
    this.stats.refused++;
    stream.reset(code);
    // We will not read the rest of the request either.
    if (!stream.finReceived) {
      try {
        stream.stopSending(code);
      } catch {
        // the receive side is already finished
      }
    }
    this.opts.log?.(`refused (0x${code.toString(16)}) ${reason}`);
  }

  /** @internal */
  onResponseEnd(outcome: 'completed' | 'aborted', line: string): void {
    if (outcome === 'completed') this.stats.completed++;
    else this.stats.aborted++;
    this.opts.log?.(`${outcome} ${line}`);
  }
}
