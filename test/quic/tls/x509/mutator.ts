/**
 * Seeded mutations of DER inputs for the X.509 fuzz test. Structure-aware mutations find the
 * TLV headers with a small walker of its own (independent of src/quic/tls/asn1.ts) and break
 * lengths, tags and contents where a parser is most likely to go wrong.
 */

/** mulberry32: a small seeded PRNG; the same seed and case index always give the same mutation. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Tlv {
  start: number;
  lengthAt: number;
  lengthOctets: number;
  contentsAt: number;
  end: number;
  constructed: boolean;
}

/** Every TLV of a well-formed DER input, outer ones first (best effort: stops where it cannot parse). */
export function tlvs(b: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  const walk = (from: number, to: number, depth: number): void => {
    let p = from;
    while (p < to && depth < 40) {
      const start = p;
      const tag = b[p++]!;
      if (p >= to) return;
      const lengthAt = p;
      let len = b[p++]!;
      let lengthOctets = 1;
      if (len & 0x80) {
        const n = len & 0x7f;
        if (n === 0 || n > 3 || p + n > to) return;
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + b[p++]!;
        lengthOctets += n;
      }
      if (p + len > to) return;
      const constructed = (tag & 0x20) !== 0;
      out.push({ start, lengthAt, lengthOctets, contentsAt: p, end: p + len, constructed });
      if (constructed) walk(p, p + len, depth + 1);
      // OCTET STRING / BIT STRING often wrap DER (extension values, keys): look inside too.
      else if ((tag === 0x04 || tag === 0x03) && len > 2) walk(tag === 0x03 ? p + 1 : p, p + len, depth + 1);
      p += len;
    }
  };
  walk(0, b.length, 0);
  return out;
}

const INTERESTING = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x13, 0x17, 0x18, 0x1f, 0x30, 0x31, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x88, 0xa0, 0xa3, 0xff];

export interface Mutation {
  bytes: Uint8Array;
  desc: string;
}

/** One mutation of `base` (whose TLVs are `layout`), chosen by (seed, index); `donor` supplies spliced TLVs. */
export function mutate(base: Uint8Array, layout: Tlv[], donor: Uint8Array, donorLayout: Tlv[], seed: number, index: number): Mutation {
  const r = rng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const int = (n: number): number => Math.floor(r() * n);
  const pick = <T>(xs: T[]): T => xs[int(xs.length)]!;
  const b = base.slice();
  const rounds = 1 + (r() < 0.25 ? int(4) : 0);
  const descs: string[] = [];
  let bytes = b;
  for (let round = 0; round < rounds; round++) {
    const tlv = layout.length > 0 ? pick(layout) : undefined;
    const kind = int(11);
    switch (kind) {
      case 0: {
        const at = int(bytes.length);
        const bit = int(8);
        bytes[at]! ^= 1 << bit;
        descs.push(`flip bit ${bit} at ${at}`);
        break;
      }
      case 1: {
        const at = int(bytes.length);
        const v = pick(INTERESTING);
        bytes[at] = v;
        descs.push(`set byte ${at} = 0x${v.toString(16)}`);
        break;
      }
      case 2: {
        const at = int(bytes.length);
        bytes = bytes.slice(0, at);
        descs.push(`truncate at ${at}`);
        break;
      }
      case 3: {
        const at = int(bytes.length);
        const n = 1 + int(16);
        bytes = new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(at + n)]);
        descs.push(`delete ${n} at ${at}`);
        break;
      }
      case 4: {
        const at = int(bytes.length + 1);
        const ins = Array.from({ length: 1 + int(8) }, () => (r() < 0.5 ? pick(INTERESTING) : int(256)));
        bytes = new Uint8Array([...bytes.subarray(0, at), ...ins, ...bytes.subarray(at)]);
        descs.push(`insert ${ins.length} at ${at}`);
        break;
      }
      case 5: {
        if (!tlv || tlv.end > bytes.length) break;
        // Length off by a little, in the last length octet.
        const at = tlv.lengthAt + tlv.lengthOctets - 1;
        const delta = pick([-2, -1, 1, 2, 0x7f, 0x80]);
        bytes[at] = (bytes[at]! + delta) & 0xff;
        descs.push(`length ${delta > 0 ? '+' : ''}${delta} at ${at}`);
        break;
      }
      case 6: {
        if (!tlv || tlv.end > bytes.length) break;
        // Replace the length with an odd form: indefinite, long-form short, too many octets, huge.
        const forms = [[0x80], [0x81, bytes[tlv.lengthAt]! & 0x7f], [0x84, 0xff, 0xff, 0xff, 0xff], [0x85, 1, 0, 0, 0, 0], [0x82, 0x00, 0x10], [0x00]];
        const form = pick(forms);
        bytes = new Uint8Array([...bytes.subarray(0, tlv.lengthAt), ...form, ...bytes.subarray(tlv.lengthAt + tlv.lengthOctets)]);
        descs.push(`length form [${form.join(',')}] at ${tlv.lengthAt}`);
        break;
      }
      case 7: {
        if (!tlv || tlv.start >= bytes.length) break;
        const v = pick(INTERESTING);
        bytes[tlv.start] = v;
        descs.push(`tag 0x${v.toString(16)} at ${tlv.start}`);
        break;
      }
      case 8: {
        if (!tlv || tlv.end > bytes.length || donorLayout.length === 0) break;
        // Splice a TLV from another certificate in place of this one (lengths of the parents now lie).
        const d = pick(donorLayout);
        bytes = new Uint8Array([...bytes.subarray(0, tlv.start), ...donor.subarray(d.start, d.end), ...bytes.subarray(tlv.end)]);
        descs.push(`splice donor ${d.start}..${d.end} over ${tlv.start}..${tlv.end}`);
        break;
      }
      case 9: {
        if (!tlv || tlv.end > bytes.length || tlv.end === tlv.contentsAt) break;
        // Scribble over the contents of one element, keeping its header.
        const at = tlv.contentsAt + int(tlv.end - tlv.contentsAt);
        const n = Math.min(1 + int(4), tlv.end - at);
        for (let i = 0; i < n; i++) bytes[at + i] = int(256);
        descs.push(`scribble ${n} at ${at}`);
        break;
      }
      default: {
        if (!tlv || tlv.end > bytes.length) break;
        // Duplicate an element in place (duplicate extensions, SAN entries, RDNs...).
        const el = bytes.slice(tlv.start, tlv.end);
        bytes = new Uint8Array([...bytes.subarray(0, tlv.end), ...el, ...bytes.subarray(tlv.end)]);
        descs.push(`duplicate ${tlv.start}..${tlv.end}`);
        break;
      }
    }
  }
  return { bytes, desc: descs.join('; ') || 'none' };
}
