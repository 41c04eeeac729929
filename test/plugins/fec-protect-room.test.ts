/**
 * finalize_and_protect_packet's contract at the host (src/plugins/instance.ts, signatures.ts):
 * the pluglet gets the packet's buffer granted with its exact length and that length as input 4.
 * fec's protect appends its SFPID frame only where that buffer has room for it (the verifier
 * proves its writes against input 4), and the host refuses a buffer longer than the 65536 bytes
 * the pluglets were verified for.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { handshake, makePair } from '../quic/connection/harness.js';
import { PluginRuntime } from '../../src/plugins/runtime.js';
import type { PluginInstance } from '../../src/plugins/instance.js';
import { PacketNumberSpace } from '../../src/quic/recovery/space.js';

const XOR = fileURLToPath(new URL('../../plugins-c/fec/fec.plugin', import.meta.url));
const FT_SFPID = 0x29;
const USED = 40;

describe('fec protect: the SFPID frame where the granted buffer has room', () => {
  it('appends it when the buffer holds it exactly, leaves a buffer one byte short unprotected, and a buffer past 65536 fails the plugin', () => {
    const rt = PluginRuntime.load([XOR], { verify: 'strict' });
    let si: PluginInstance | undefined;
    const p = makePair({ beforeConnect: (c) => void rt.inject(c) });
    p.onServerCreated = (s) => void ([si] = rt.inject(s));
    handshake(p);
    const server = p.server!;
    const protect = (room: number): number => {
      const buf = new Uint8Array(room).fill(0xaa, 0, USED);
      const used = Number(server.protoops.slots.finalize_and_protect_packet(PacketNumberSpace.ApplicationData, 1000, buf, USED));
      if (used > USED) expect(buf[USED]).toBe(FT_SFPID);
      return used;
    };
    // A packet that carried a REPAIR frame is skipped once: one call with ample room clears that.
    protect(1200);
    const sent = (): number => Number(si!.runExternal('get_fec_stat', 0));
    const before = sent();
    // The next id's varint: 1 byte below 64, 2 below 16384.
    const need = 1 + (before < 64 ? 1 : before < 16384 ? 2 : 4);
    expect(protect(USED + need - 1)).toBe(USED);
    expect(sent()).toBe(before);
    expect(protect(USED + need)).toBe(USED + need);
    expect(sent()).toBe(before + 1);
    expect(si!.failure).toBeUndefined();
    // A required plugin that fails ends the connection: the caller gets the error.
    expect(() => server.protoops.slots.finalize_and_protect_packet(PacketNumberSpace.ApplicationData, 1001, new Uint8Array(65537), USED)).toThrow(/65537 bytes exceed the 65536/);
    expect(si!.failure?.message).toMatch(/65537 bytes exceed the 65536/);
  });
});
