/**
 * The host's half of the extern operations' input contracts (src/plugins/extern-inputs.ts): the
 * verifier typed send_message's and get_message's inputs as a buffer and its length, so the
 * host grants the buffer and refuses any length past it, before the pluglet runs.
 */
import { describe, expect, it } from 'vitest';
import { ExternInputError, externInputs } from '../../src/plugins/extern-inputs.js';
import { externContract, MAX_EXTERN_BUFFER } from '../../src/plugins/signatures.js';
import { assemble } from '../../src/vm/asm.js';
import { rawImage } from '../../src/vm/program.js';
import { verifyPlugin } from '../../src/plugins/verify-plugin.js';
import { MANIFEST_NO_PARAM, type ManifestAnchor } from '../../src/plugins/manifest.js';
import { AK_CNX_INPUT, HELPER_IDS } from '../../src/plugins/abi.js';

const contract = externContract('send_message')!;
const run = (...args: unknown[]) => {
  const granted: Uint8Array[] = [];
  const inputs = externInputs('send_message', contract, args, (b) => (granted.push(b), 0x10000), (x) => x as number);
  return { inputs, granted };
};

describe('extern inputs under a contract', () => {
  it('the datagram operations have one; other extern operations keep plain inputs', () => {
    expect(externContract('send_message')?.inputs).toEqual(['buffer', 'buffer_len']);
    expect(externContract('get_message')?.inputs).toEqual(['buffer', 'buffer_len']);
    expect(externContract('get_datagram_stats')).toBeUndefined();
    expect(contract.bufferLen).toEqual([0, MAX_EXTERN_BUFFER]);
  });

  it('grants the buffer and passes a length within it (the whole buffer, a prefix, none)', () => {
    const b = new Uint8Array(10);
    expect(run(b, 10)).toEqual({ inputs: [0x10000, 10], granted: [b] });
    expect(run(b, 3).inputs).toEqual([0x10000, 3]);
    expect(run(new Uint8Array(0), 0).inputs).toEqual([0x10000, 0]);
  });

  it('refuses, before granting anything, a length past the buffer or not a length', () => {
    const b = new Uint8Array(10);
    for (const len of [11, -1, 2.5, Number.NaN, 2 ** 53, '10', 10n, undefined]) {
      const granted: Uint8Array[] = [];
      expect(() => externInputs('send_message', contract, [b, len], (x) => (granted.push(x), 1), (x) => x as number)).toThrow(ExternInputError);
      expect(granted).toEqual([]);
    }
  });

  it('refuses a buffer that is not bytes and a wrong number of inputs', () => {
    expect(() => run(12345, 0)).toThrow(/must be a Uint8Array/);
    expect(() => run(new Uint8Array(1))).toThrow(/1 inputs, expected 2/);
    expect(() => run(new Uint8Array(1), 1, 0)).toThrow(ExternInputError);
  });
});

describe('the verifier applies an extern contract to extern pluglets only', () => {
  const GET_CNX = HELPER_IDS.get('get_cnx')!;
  // Reads the last byte of input 0 when input 1 (its length) is not 0.
  const src = `mov %r6, %r1
mov %r2, ${AK_CNX_INPUT}
mov %r3, 1
call ${GET_CNX}
jeq %r0, 0, out
mov %r7, %r0
mov %r1, %r6
mov %r2, ${AK_CNX_INPUT}
mov %r3, 0
call ${GET_CNX}
add %r0, %r7
ldxb %r0, [%r0-1]
out:
exit`;
  const verdict = (anchor: ManifestAnchor) => {
    const entry = { protoop: 'send_message', param: MANIFEST_NO_PARAM, anchor, objectPath: 'p.o', source: { file: 't.plugin', line: 1 }, afterNegotiation: false };
    return verifyPlugin([rawImage(assemble(src))], [{ entry, program: 0 }], 'strict').results[0]!;
  };

  it('extern: the buffer and its length, so the read is proven', () => {
    expect(verdict('extern').errors).toEqual([]);
  });

  it('replace (other plugins may call it with numbers): plain numbers, the read refused', () => {
    expect(verdict('replace').errors.map((e) => e.code)).toEqual(['SCALAR_DEREF']);
  });
});
