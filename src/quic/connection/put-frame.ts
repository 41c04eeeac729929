/** The frame-writing step shared by the packet builder and the stream manager. */
import { frameLength, writeFrame, type Frame } from '../wire/frames/index.js';
import type { Writer } from '../wire/buffer.js';
import type { SentFrame } from './types.js';

/**
 * Writes `f` if it fits, recording `sent` for loss recovery (RFC 9002 §2: what to do when the
 * packet is acknowledged or lost) and `f` for qlog. False, writing nothing, when it does not fit.
 * A plain function, not a closure per packet: the send path allocates as little as it can.
 */
export function putFrame(w: Writer, frames: SentFrame[], log: Frame[] | undefined, f: Frame, sent: SentFrame | undefined): boolean {
  if (w.remaining < frameLength(f)) return false;
  writeFrame(w, f);
  if (sent) frames.push(sent);
  log?.push(f);
  return true;
}
