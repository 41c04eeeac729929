/**
 * received_packet's contract (src/plugins/signatures.ts): input 3 is the packet's payload,
 * granted with its exact length, input 4 that length. A read guarded by the length is proven;
 * its twins (the byte at the length, the input without the contract) are not.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../src/vm/asm.js';
import { rawImage } from '../../../src/vm/program.js';
import { verifyProgram, type VerifyResult } from '../../../src/vm/verifier/index.js';
import { pluginHelpers } from '../../../src/plugins/helper-signatures.js';
import { inputContract } from '../../../src/plugins/signatures.js';
import { HELPER_IDS } from '../../../src/plugins/abi.js';

const GET_CNX = HELPER_IDS.get('get_cnx')!;

/** Reads payload[length - `back`] when the length is not 0. */
const readAt = (back: number): string => `mov %r6, %r1
mov %r2, 0
mov %r3, 3
call ${GET_CNX}
mov %r7, %r0
mov %r1, %r6
mov %r2, 0
mov %r3, 4
call ${GET_CNX}
jeq %r0, 0, out
add %r7, %r0
ldxb %r0, [%r7${back === 0 ? "" : `-${back}`}]
exit
out:
mov %r0, 0
exit`;

const verify = (src: string, op: string): VerifyResult => verifyProgram(rawImage(assemble(src)), { ...pluginHelpers, policy: 'strict', ctx: 'pluglet', ...(inputContract(op) ?? {}) });
const codes = (r: VerifyResult): string[] => r.errors.map((e) => e.code);

describe('received_packet: the payload and its length', () => {
  it('the payload\'s last byte is read inside it (proven)', () => {
    const r = verify(readAt(1), 'received_packet');
    expect(codes(r)).toEqual([]);
    expect(r.provenAccesses.size).toBe(1);
  });

  it('twin: the byte at payload + length is past its end', () => {
    expect(codes(verify(readAt(0), 'received_packet'))).toEqual(['OUT_OF_BOUNDS']);
  });

  it('twin: without the contract the payload is a number', () => {
    expect(codes(verify(readAt(1), 'packet_was_lost'))).toEqual(['SCALAR_DEREF']);
  });
});
