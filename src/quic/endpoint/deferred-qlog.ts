/**
 * A qlog trace that holds events until the real trace exists. A client connection picks its
 * Original Destination Connection ID inside its constructor, and a qlog file is named after that
 * ID, so the file can only be opened once the connection exists; the connection logs from its
 * constructor on, so it starts with this trace, which replays everything into the file.
 */
import type { QlogTrace } from '../qlog/writer.js';

export class DeferredQlog implements QlogTrace {
  private target: QlogTrace | undefined;
  private held: { timeUs: number; name: string; data: Record<string, unknown> }[] = [];
  private closed = false;

  get enabled(): boolean {
    return !this.closed && (this.target === undefined || this.target.enabled);
  }

  event(timeUs: number, name: string, data: Record<string, unknown>): void {
    if (this.target) this.target.event(timeUs, name, data);
    else if (!this.closed) this.held.push({ timeUs, name, data });
  }

  close(): void {
    this.closed = true;
    this.held = [];
    this.target?.close();
  }

  /** Replays the held events into `target` and forwards everything from now on. */
  attach(target: QlogTrace): void {
    this.target = target;
    for (const e of this.held) target.event(e.timeUs, e.name, e.data);
    this.held = [];
    if (this.closed) target.close();
  }
}
