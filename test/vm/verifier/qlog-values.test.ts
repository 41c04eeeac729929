/**
 * pquic_qlog_values reads one u64 per comma-separated key: when the key list is a constant of
 * read-only data, the verifier counts the keys and checks the values array for that many bytes.
 */
import { describe, expect, it } from 'vitest';
import { first, verifyImage, withData } from './util.js';


const QLOG_VALUES = 204;

/** Name at offset 0 and keys at offset 3 of one section; `values` bytes on the stack for the values. */
function program(keys: string, values: number, writable = false) {
  const text = new TextEncoder().encode(`ev\0${keys}\0`);
  const stores = Array.from({ length: values / 8 }, (_, i) => `stdw [%r10-${values - 8 * i}], ${i}`).join('\n');
  const src = `${stores}\nlddw %r2, 0\nlddw %r3, 3\nmov %r4, %r10\nadd %r4, -${values}\ncall ${QLOG_VALUES}\nmov %r0, 0\nexit`;
  const n = values / 8;
  const image = withData(src, [{ name: writable ? '.data' : '.rodata', size: text.length, writable }], [{ pc: n, section: 0 }, { pc: n + 2, section: 0, offset: 3 }]);
  image.sections[0]!.bytes.set(text);
  return image;
}

describe('pquic_qlog_values with a constant key list', () => {
  it('three keys and 24 bytes of values: accepted under strict', () => {
    expect(first(verifyImage(program('a,b,c', 24)))).toMatchObject({ code: 'ACCEPTED' });
  });

  it('twin: three keys and 16 bytes of values on the stack: the host would read past the frame', () => {
    expect(first(verifyImage(program('a,b,c', 16)))).toMatchObject({ code: 'HELPER_ARG', reason: expect.stringMatching(/size 24/) });
  });

  it('twin: keys in writable data may change before the call: rejected at the call', () => {
    expect(first(verifyImage(program('a,b,c', 24, true)))).toMatchObject({ code: 'HELPER_ARG', pc: 9 });
  });
});
