/**
 * The application side of the `datagram` plugin (plugins-c/datagram): send and receive RFC 9221
 * DATAGRAM messages on a connection the plugin is attached to, through its extern operations.
 */
import type { PluginInstance } from './instance.js';

export type SendResult = 'queued' | 'too_large' | 'unsupported_by_peer' | 'out_of_memory';

const SEND_RESULTS: readonly SendResult[] = ['queued', 'too_large', 'unsupported_by_peer', 'out_of_memory'];
const NONE = 0xffffffffffffffffn;

export interface DatagramStats {
  peerMaxFrameSize: number;
  sent: number;
  acked: number;
  lost: number;
  dropped: number;
  received: number;
  waiting: number;
}

export class DatagramChannel {
  private readonly instance: PluginInstance;
  private readonly buffer = new Uint8Array(1200);

  constructor(instance: PluginInstance) {
    if (instance.plugin.name !== 'be.mpiraux.datagram') throw new Error(`${instance.plugin.name} is not the datagram plugin`);
    this.instance = instance;
  }

  /** Queues one message; it goes out in a DATAGRAM frame, never retransmitted. */
  send(data: Uint8Array): SendResult {
    const r = Number(this.instance.runExternal('send_message', data, data.length));
    return SEND_RESULTS[r] ?? 'out_of_memory';
  }

  /** The oldest message received and not yet taken, or undefined. */
  receive(): Uint8Array | undefined {
    const r = this.instance.runExternal('get_message', this.buffer, this.buffer.length);
    const len = typeof r === 'bigint' ? r : BigInt(r as number);
    if (len === NONE) return undefined;
    return this.buffer.slice(0, Number(len));
  }

  /** Every waiting message. */
  receiveAll(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let m = this.receive(); m; m = this.receive()) out.push(m);
    return out;
  }

  get stats(): DatagramStats {
    const s = (i: number): number => Number(this.instance.runExternal('get_datagram_stats', i));
    return { peerMaxFrameSize: s(0), sent: s(1), acked: s(2), lost: s(3), dropped: s(4), received: s(5), waiting: s(6) };
  }
}
