/**
 * The room after a context pointer (room.ts): `end - p` is len - off(p) exactly, so p plus at
 * most that many bytes stays inside the buffer even when p's offset is a range (parse_repair's
 * second and third varints; datagram's `len > end - bytes`). Each proof has a twin that must stay
 * rejected.
 */
import { describe, expect, it } from 'vitest';
import { AK_CNX_INPUT } from '../../../src/plugins/abi.js';
import { codes, decode, frame, id, skipFirst, verifyFrame as verify } from './frame-asm.js';

describe('end - p bounds what p reads, p at a range of offsets', () => {
  it('a second varint at p with room end - p: proven', () => {
    const r = verify(frame(`${skipFirst}\n${decode('%r7', 'mov %r2, %r8\nsub %r2, %r7')}`));
    expect(codes(r)).toEqual([]);
  });

  it('three in a row (p moved by each result, which is at most its room)', () => {
    const r = verify(frame(`${skipFirst}\n${decode('%r7', 'mov %r2, %r8\nsub %r2, %r7')}\nadd %r7, %r0\n${decode('%r7', 'mov %r2, %r8\nsub %r2, %r7')}`));
    expect(codes(r)).toEqual([]);
  });

  it('twin: the room after p used at p + 1', () => {
    const r = verify(frame(`${skipFirst}\nmov %r9, %r7\nadd %r9, 1\n${decode('%r9', 'mov %r2, %r8\nsub %r2, %r7')}`));
    expect(codes(r)).toEqual(['HELPER_ARG']);
  });

  it('twin: an end moved one byte past the buffer is not its end', () => {
    const r = verify(frame(`${skipFirst}\nadd %r8, 1\n${decode('%r7', 'mov %r2, %r8\nsub %r2, %r7')}`));
    expect(codes(r)).toEqual(['HELPER_ARG']);
  });
});

/** x = input 2 (any number) at most 64; `room` (r9); if x > r9 goto out; memcpy(fp-64, r7, x). */
const copyTail = (room: string): string => `mov %r1, %r6
mov %r2, ${AK_CNX_INPUT}
mov %r3, 2
call ${id('get_cnx')}
jgt %r0, 64, out
${room}
jgt %r0, %r9, out
mov %r3, %r0
mov %r1, %r10
add %r1, -64
mov %r2, %r7
call ${id('my_memcpy')}`;
const copyBelow = (room: string, pre = ''): string => frame(`${pre}${copyTail(room)}`);

describe('a number compared with the room', () => {
  it('x <= end - p: x bytes at p are proven', () => {
    expect(codes(verify(copyBelow('mov %r9, %r8\nsub %r9, %r7', `${skipFirst}\n`)))).toEqual([]);
  });

  it('twin: x <= end - p + 1', () => {
    expect(codes(verify(copyBelow('mov %r9, %r8\nsub %r9, %r7\nadd %r9, 1', `${skipFirst}\n`)))).toEqual(['HELPER_ARG']);
  });

  it('two paths, each with its own p and its room, meet: still proven (the pid is relinked)', () => {
    const pre = `mov %r9, %r8\nsub %r9, %r7\njeq %r6, 0, same\n${skipFirst}\nmov %r9, %r8\nsub %r9, %r7\nsame:\n`;
    expect(codes(verify(copyBelow('', pre)))).toEqual([]);
  });

  it('twin: on one path the room was taken after another pointer than the one read', () => {
    // Path 2 computes the room after the buffer's start but moves r7 one byte on.
    const src = frame(`mov %r9, %r8
sub %r9, %r7
jeq %r6, 0, same
mov %r9, %r8
sub %r9, %r7
add %r7, 1
same:
${copyTail('')}`);
    expect(codes(verify(src))).toEqual(['HELPER_ARG']);
  });
});
