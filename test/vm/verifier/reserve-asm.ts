/**
 * Shared by the kept-value tests: a pluglet that reserves one frame with reserve_frames, its
 * reserve_frame_slot_t on the stack at fp-32 (type, frame length, low-priority flag, frame_ctx).
 */
import { HELPER_IDS } from '../../../src/plugins/abi.js';

const GET_CNX = HELPER_IDS.get('get_cnx')!;
const RESERVE = HELPER_IDS.get('reserve_frames')!;

/**
 * Reserves one frame of `type` (a constant, or 'unknown' for a number read from input 0) and
 * `length` bytes, with frame_ctx from `ctx` (which leaves it in r4); returns 0.
 */
export const reserveAsm = (ctx: string, type: number | 'unknown', length: number): string => `mov %r6, %r1
${type === 'unknown' ? `mov %r2, 0\nmov %r3, 0\ncall ${GET_CNX}\nstxdw [%r10-32], %r0\nmov %r1, %r6` : ''}
${ctx}
${type === 'unknown' ? '' : `stdw [%r10-32], ${type}`}
stdw [%r10-24], ${length}
stdw [%r10-16], 1
stxdw [%r10-8], %r4
mov %r1, %r6
mov %r2, 1
mov %r3, %r10
add %r3, -32
call ${RESERVE}
mov %r0, 0
exit`;
