import { describe, expect, it } from 'vitest';
import { PeerAddressCache } from '../../../src/quic/endpoint/peer-address-cache.js';

describe('PeerAddressCache', () => {
  it('returns the same object for the same remote', () => {
    const c = new PeerAddressCache(4);
    const a = c.get('192.0.2.1', 4433);
    // A distinct string with equal content, as each rinfo carries.
    const again = c.get(['192', '0', '2', '1'].join('.'), 4433);
    expect(again).toBe(a);
    expect(a).toEqual({ address: '192.0.2.1', port: 4433 });
  });

  it('tells apart remotes that differ only in port or only in address', () => {
    const c = new PeerAddressCache(4);
    const a = c.get('192.0.2.1', 1000);
    const b = c.get('192.0.2.1', 1001);
    const d = c.get('192.0.2.2', 1000);
    expect(b).not.toBe(a);
    expect(d).not.toBe(a);
    expect(b).toEqual({ address: '192.0.2.1', port: 1001 });
    expect(d).toEqual({ address: '192.0.2.2', port: 1000 });
    // Alternating peers all stay cached.
    expect(c.get('192.0.2.1', 1000)).toBe(a);
    expect(c.get('192.0.2.1', 1001)).toBe(b);
    expect(c.get('192.0.2.2', 1000)).toBe(d);
  });

  it('stays bounded: a flood of new sources evicts old ones but answers correctly', () => {
    const c = new PeerAddressCache(3);
    const first = c.get('198.51.100.1', 1);
    for (let p = 2; p < 1000; p++) expect(c.get('198.51.100.1', p).port).toBe(p);
    const back = c.get('198.51.100.1', 1);
    expect(back).not.toBe(first);
    expect(back).toEqual(first);
  });

  it('hands out frozen objects, so no holder can move another datagram\'s address', () => {
    const a = new PeerAddressCache().get('::1', 5);
    expect(Object.isFrozen(a)).toBe(true);
    expect(() => { (a as { port: number }).port = 6; }).toThrow();
  });

  it('survives a nonsense size', () => {
    const c = new PeerAddressCache(0);
    const a = c.get('::1', 1);
    expect(c.get('::1', 1)).toBe(a);
    expect(c.get('::1', 2).port).toBe(2);
  });
});
