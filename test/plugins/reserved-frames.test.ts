/**
 * Reserved frames and their frame_ctx (src/plugins/instance.ts, reserve_frames and
 * frameContext): a plugin reserves only frame types it writes, and a frame_ctx reaches only the
 * plugin that reserved it, so write_frame and notify_frame pluglets verified with it typed as a
 * kept heap block (src/plugins/verify-plugin.ts) really get one.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { handshake, makePair, runUntil } from '../quic/connection/harness.js';
import { PluginRuntime } from '../../src/plugins/runtime.js';

const manifest = fileURLToPath(new URL('../../plugins-c/verifier-tests/frames/frames.plugin', import.meta.url));
const FT_NOTE = 0x3e;

/** A connected pair with test.frames, verified under strict, on the client. */
function connected() {
  const rt = PluginRuntime.load([manifest], { verify: 'strict' });
  const p = makePair();
  const [inst] = rt.inject(p.client);
  handshake(p);
  return { p, inst: inst! };
}

describe('reserved frames: frame_ctx goes back to the reserving plugin only', () => {
  it('the notes a plugin reserves come back to its write_frame and notify_frame (accepted under strict)', () => {
    const { p, inst } = connected();
    expect(Number(inst.runExternal('reserve_note', FT_NOTE, 5))).toBe(1);
    expect(Number(inst.runExternal('reserve_note', FT_NOTE, 7))).toBe(1);
    // notify_frame adds each acknowledged note's seq to metadata slot 1, once written.
    expect(runUntil(p, () => Number(inst.metadata(1)) === 12)).toBe(true);
    expect(inst.failure).toBeUndefined();
    expect(p.client.state).toBe('connected');
  });

  it('refuses a reservation of a frame type the plugin does not write, with a plugin error', () => {
    const { inst } = connected();
    expect(() => inst.runExternal('reserve_note', 0x3f, 1)).toThrow(/reserve_frames: slot 0 reserves frame 0x3f, but write_frame\[0x3f\] is not replaced/);
    expect(inst.failure?.message).toMatch(/plugin test\.frames failed in reserve_note/);
  });

  it('refuses a type another plugin writes', () => {
    const { p, inst } = connected();
    p.client.protoops.attach('write_frame', 0x40, 'replace', { owner: 'other', fn: () => 0 });
    expect(() => inst.runExternal('reserve_note', 0x40, 1)).toThrow(/write_frame\[0x40\] is replaced by other/);
  });

  it('a frame_ctx the plugin did not reserve never reaches its write_frame', () => {
    const { p, inst } = connected();
    // The core (or a plugin that failed since) reserved a frame of the type this plugin writes.
    expect(p.client.reserveFrame(FT_NOTE, 1, 0x1234, { owner: 'core', congestionControlled: false })).toBe(true);
    runUntil(p, () => inst.failure !== undefined || p.client.state !== 'connected', { maxSteps: 50 });
    expect(inst.failure?.message).toMatch(/write_frame\[0x3e\]: the frame was not reserved by plugin test\.frames/);
  });
});
