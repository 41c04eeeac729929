/**
 * Recycled records of what each sent packet carried (RFC 9002 §2, A.1.1), so that sending a
 * packet allocates no record once the connection has warmed up.
 *
 * A record is taken when a packet is built and given back once the packet's fate is settled and
 * processed: acknowledged, declared lost (its frames requeued), rebuilt by the peer (FEC), or
 * discarded with its keys. Nothing may keep a record past that point: protoops and plugins see
 * a packet during one call only (plugin handles die with the call), and plugin metadata lives on
 * the record and is dropped with it. STREAM frame records, one or more per data packet, and ACK
 * frame records, one per packet that acknowledges, and MAX_STREAM_DATA records, one per window
 * update of a receiving stream, are recycled with their packet; other frame kinds are rare and
 * left to the collector.
 */
import type { SentPacket } from '../recovery/sent-packets.js';
import type { SentFrame } from './types.js';
import { clearArray } from '../clear-array.js';
import { FreeList } from '../free-list.js';

type StreamSentFrame = Extract<SentFrame, { k: 'stream' }>;
type AckSentFrame = Extract<SentFrame, { k: 'ack' }>;
type MaxStreamDataSentFrame = Extract<SentFrame, { k: 'max_stream_data' }>;

/** Free records kept at most (beyond, released ones go to the collector). */
const MAX_FREE_PACKETS = 4096;
const MAX_FREE_STREAM_FRAMES = 8192;
const MAX_FREE_ACK_FRAMES = 4096;
const MAX_FREE_MAX_STREAM_DATA_FRAMES = 1024;

export class SentPacketRecord implements SentPacket {
  pn = 0;
  timeSent = 0;
  size = 0;
  ackEliciting = false;
  inFlight = false;
  readonly frames: SentFrame[] = [];
  pluginMeta: Map<object, unknown> | undefined = undefined;
  /** True while the record sits in the pool: a second release is ignored. */
  free = false;
}

export class SentRecordPool {
  private readonly packets = new FreeList<SentPacketRecord>(MAX_FREE_PACKETS);
  private readonly streamFrames = new FreeList<StreamSentFrame>(MAX_FREE_STREAM_FRAMES);
  private readonly ackFrames = new FreeList<AckSentFrame>(MAX_FREE_ACK_FRAMES);
  private readonly maxStreamDataFrames = new FreeList<MaxStreamDataSentFrame>(MAX_FREE_MAX_STREAM_DATA_FRAMES);

  /** A record with no frames, for a packet being built. */
  packet(): SentPacketRecord {
    const p = this.packets.take();
    if (p === undefined) return new SentPacketRecord();
    p.free = false;
    return p;
  }

  streamFrame(id: number, offset: number, length: number, fin: boolean): SentFrame {
    const f = this.streamFrames.take();
    if (f === undefined) return { k: 'stream', id, offset, length, fin };
    f.id = id;
    f.offset = offset;
    f.length = length;
    f.fin = fin;
    return f;
  }

  ackFrame(largest: number): SentFrame {
    const f = this.ackFrames.take();
    if (f === undefined) return { k: 'ack', largest };
    f.largest = largest;
    return f;
  }

  maxStreamDataFrame(id: number): SentFrame {
    const f = this.maxStreamDataFrames.take();
    if (f === undefined) return { k: 'max_stream_data', id };
    f.id = id;
    return f;
  }

  /** Takes back a packet whose fate is settled (records made elsewhere are left alone). */
  release(packet: SentPacket): void {
    if (!(packet instanceof SentPacketRecord) || packet.free) return;
    const frames = packet.frames;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      if (f.k === 'stream') this.streamFrames.give(f);
      else if (f.k === 'ack') this.ackFrames.give(f);
      else if (f.k === 'max_stream_data') this.maxStreamDataFrames.give(f);
    }
    clearArray(frames);
    packet.pluginMeta = undefined;
    packet.free = true;
    this.packets.give(packet);
  }

  releaseAll(packets: readonly SentPacket[]): void {
    for (let i = 0; i < packets.length; i++) this.release(packets[i]!);
  }

  /** Gives back a record whose packet was not sent after all. */
  discard(packet: SentPacketRecord): void {
    this.release(packet);
  }
}
