/**
 * parse_frame pluglets in assembly, verified under strict with parse_frame's input contract (a
 * buffer, its end, the frame type): the fixture of the room tests (room.test.ts, sharing.test.ts).
 */
import { assemble } from '../../../src/vm/asm.js';
import { rawImage } from '../../../src/vm/program.js';
import { verifyProgram, type VerifyResult } from '../../../src/vm/verifier/index.js';
import { pluginHelpers } from '../../../src/plugins/helper-signatures.js';
import { inputContract } from '../../../src/plugins/signatures.js';
import { AK_CNX_INPUT, HELPER_IDS } from '../../../src/plugins/abi.js';

export const id = (n: string): number => HELPER_IDS.get(n)!;
export const verifyFrame = (src: string): VerifyResult => verifyProgram(rawImage(assemble(src)), { ...pluginHelpers, policy: 'strict', ctx: 'pluglet', ...inputContract('parse_frame')! });
export const codes = (r: VerifyResult): string[] => r.errors.map((e) => e.code);

/** parse_frame: r7 = the buffer, r8 = its end, r6 = cnx; then `body`. */
export const frame = (body: string): string => `mov %r6, %r1
mov %r2, ${AK_CNX_INPUT}
mov %r3, 0
call ${id('get_cnx')}
mov %r7, %r0
mov %r1, %r6
mov %r2, ${AK_CNX_INPUT}
mov %r3, 1
call ${id('get_cnx')}
mov %r8, %r0
${body}
out:
mov %r0, 0
exit`;

/** varint_decode(r1 = `at`, r2 = `room`, &fp-8); r0 = its length. */
export const decode = (at: string, room: string): string => `mov %r1, ${at}
${room}
mov %r3, %r10
add %r3, -8
call ${id('picoquic_varint_decode')}`;

/** A first varint moves r7 by 0 to 8 bytes: its offset is then a range. */
export const skipFirst = `${decode('%r7', 'mov %r2, %r8\nsub %r2, %r7')}
jeq %r0, 0, out
add %r7, %r0`;
