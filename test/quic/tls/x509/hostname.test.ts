import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSelfSigned } from '../../../../src/quic/tls/certgen.js';
import { formatIp, matchesServerName, parseIp, type Certificate } from '../../../../src/quic/tls/x509.js';
import { shimProvider } from './shim-provider.js';

function makeCert(opts: { commonName?: string; dnsNames?: string[]; ipAddresses?: string[] }): Certificate {
  return generateSelfSigned(shimProvider, { commonName: 'unused.invalid', dnsNames: [], ipAddresses: [], ...opts }).cert;
}

/**
 * [SAN DNS patterns, server name, expected, whether node's checkHost (with partialWildcards
 * off) should agree]. Node refuses a trailing dot in the name; RFC 6125 §6.2.1 treats it as the
 * same absolute name, so we accept it and skip node there. Two more cases where node is laxer are
 * marked below.
 */
const DNS_CASES: [string[], string, boolean, boolean][] = [
  [['leaf.example'], 'leaf.example', true, true],
  [['leaf.example'], 'LEAF.Example', true, true],
  [['leaf.example'], 'leaf.example.', true, false],
  [['leaf.example'], 'leaf.example..', false, true],
  [['leaf.example'], 'www.leaf.example', false, true],
  [['leaf.example'], 'eaf.example', false, true],
  [['leaf.example'], 'leaf.example.com', false, true],
  [['leaf.example'], '', false, true],
  [['LEAF.EXAMPLE'], 'leaf.example', true, true],
  [['leaf.example.'], 'leaf.example', true, false],
  [['*.example.com'], 'a.example.com', true, true],
  [['*.example.com'], 'A.EXAMPLE.COM', true, true],
  [['*.example.com'], 'xn--bcher-kva.example.com', true, true],
  [['*.example.com'], 'a.example.com.', true, false],
  [['*.example.com'], 'example.com', false, true],
  [['*.example.com'], 'a.b.example.com', false, true],
  [['*.example.com'], '.example.com', false, false], // node (OpenSSL X509_check_host) lets "*" match an empty label
  [['*.example.com'], 'a.example.org', false, true],
  [['f*.example.com'], 'foo.example.com', false, true],
  [['*oo.example.com'], 'foo.example.com', false, true],
  [['f*o.example.com'], 'foo.example.com', false, true],
  [['www.*.example.com'], 'www.a.example.com', false, true],
  [['*.*.example.com'], 'a.b.example.com', false, true],
  [['*.com'], 'example.com', false, true],
  [['*'], 'localhost', false, true],
  [['*.'], 'a', false, true],
  [['a.example', 'b.example'], 'b.example', true, true],
  [['127.0.0.1'], '127.0.0.1', false, false], // an IP literal matches only iPAddress SANs; node's checkHost compares it as a DNS name
];

const IP_SANS = ['127.0.0.1', '::1', '2001:db8::1', '10.1.2.3'];
const IP_CASES: [string, boolean][] = [
  ['127.0.0.1', true],
  ['127.0.0.2', false],
  ['10.1.2.3', true],
  ['::1', true],
  ['0:0:0:0:0:0:0:1', true],
  ['[::1]', true],
  ['2001:DB8:0:0:0:0:0:1', true],
  ['2001:db8::2', false],
  ['::ffff:127.0.0.1', false], // an IPv4-mapped IPv6 address is another address
  ['127.000.000.001', false],
  ['::1%lo', false],
];

describe('matchesServerName: DNS names (RFC 6125 §6.4)', () => {
  for (const [sans, name, expected, nodeAgrees] of DNS_CASES) {
    it(`[${sans.join(', ')}] vs "${name}" → ${expected}`, () => {
      const cert = makeCert({ dnsNames: sans });
      expect(matchesServerName(cert, name)).toBe(expected);
      if (nodeAgrees && name !== '') {
        const node = new X509Certificate(cert.raw);
        expect(node.checkHost(name, { partialWildcards: false }) !== undefined).toBe(expected);
      }
    });
  }
});

describe('matchesServerName: IP addresses', () => {
  const cert = makeCert({ dnsNames: ['host.example'], ipAddresses: IP_SANS });
  const node = new X509Certificate(cert.raw);
  for (const [name, expected] of IP_CASES) {
    it(`"${name}" → ${expected}`, () => {
      expect(matchesServerName(cert, name)).toBe(expected);
      const bare = name.replace(/^\[|\]$/g, '');
      if (parseIp(bare) !== undefined) expect(node.checkIP(bare) !== undefined).toBe(expected);
    });
  }

  it('a DNS name never matches an IP SAN', () => {
    expect(matchesServerName(makeCert({ ipAddresses: ['10.0.0.1'] }), 'host.example')).toBe(false);
  });
});

describe('matchesServerName: commonName fallback only without DNS SANs', () => {
  it('uses the CN when there is no subjectAltName', () => {
    const cert = makeCert({ commonName: 'cn.example' });
    expect(cert.hasSubjectAltName).toBe(false);
    expect(matchesServerName(cert, 'cn.example')).toBe(true);
    expect(matchesServerName(cert, 'CN.EXAMPLE.')).toBe(true);
    expect(matchesServerName(cert, 'other.example')).toBe(false);
    expect(new X509Certificate(cert.raw).checkHost('cn.example')).toBe('cn.example');
  });

  it('applies wildcard rules to a CN', () => {
    const cert = makeCert({ commonName: '*.cn.example' });
    expect(matchesServerName(cert, 'a.cn.example')).toBe(true);
    expect(matchesServerName(cert, 'a.b.cn.example')).toBe(false);
  });

  it('ignores the CN once a DNS SAN exists', () => {
    const cert = makeCert({ commonName: 'cn.example', dnsNames: ['san.example'] });
    expect(matchesServerName(cert, 'cn.example')).toBe(false);
    expect(new X509Certificate(cert.raw).checkHost('cn.example')).toBeUndefined();
  });

  it('never matches an IP literal against a CN', () => {
    const cert = makeCert({ commonName: '127.0.0.1', ipAddresses: [] });
    expect(matchesServerName(cert, '127.0.0.1')).toBe(false);
  });
});

describe('IP text helpers', () => {
  it('formats IPv6 per RFC 5952 and parses it back', () => {
    const cases: [string, string][] = [
      ['0:0:0:0:0:0:0:1', '::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['fe80:0:0:0:0:0:0:0', 'fe80::'],
      ['::ffff:1.2.3.4', '::ffff:102:304'],
    ];
    for (const [input, canonical] of cases) {
      const bytes = parseIp(input)!;
      expect(formatIp(bytes)).toBe(canonical);
      expect(parseIp(canonical)).toEqual(bytes);
    }
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '1:2:3:4:5:6:7', '1::2::3', '12345::', ':::', 'g::1', '1:2:3:4:5:6:7:8:9']) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
  });
});
