import { describe, expect, test } from 'vitest';
import { checkOutboundUrl, privateServerHostReason } from './outbound-url';

const production = { allowPrivate: false };
const development = { allowPrivate: true };

function refused(url: string, options = production): boolean {
  return !checkOutboundUrl(url, options).ok;
}

describe('in production configuration', () => {
  test('allows public https and http endpoints', () => {
    expect(checkOutboundUrl('https://hooks.example.com/sendflow', production).ok).toBe(true);
    expect(checkOutboundUrl('http://93.184.215.14:8080/in', production).ok).toBe(true);
    expect(checkOutboundUrl('https://[2a00:1450:4007:80e::200e]/', production).ok).toBe(true);
    expect(checkOutboundUrl('https://[2606:4700::1111]/in', production).ok).toBe(true);
    expect(checkOutboundUrl('https://8.8.8.8/', production).ok).toBe(true);
  });

  test('refuses loopback, private, link-local, CGNAT and metadata IPv4 literals', () => {
    for (const url of [
      'http://127.0.0.1/',
      'http://127.1.2.3:9000/',
      'http://10.0.0.5/',
      'http://172.16.0.1/',
      'http://172.31.255.255/',
      'http://192.168.1.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://100.64.0.1/',
      'http://0.0.0.0/',
      'http://255.255.255.255/',
    ]) {
      expect(refused(url), url).toBe(true);
    }
    expect(refused('http://172.32.0.1/')).toBe(false);
    expect(refused('http://100.128.0.1/')).toBe(false);
  });

  test('refuses IPv4 written in the forms URL parsers normalise (hex, octal, integer)', () => {
    for (const url of [
      'http://0x7f.1/',
      'http://2130706433/',
      'http://0177.0.0.1/',
      'http://127.1/',
    ]) {
      expect(refused(url), url).toBe(true);
    }
  });

  test('refuses loopback, unique-local, link-local and mapped IPv6 literals', () => {
    for (const url of [
      'http://[::1]/',
      'http://[::]/',
      'http://[fd00:ec2::254]/',
      'http://[fc00::1]/',
      'http://[fe80::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:a9fe:a9fe]/',
      'http://[64:ff9b::10.0.0.1]/',
      'http://[2002:c0a8:101::1]/',
    ]) {
      expect(refused(url), url).toBe(true);
    }
  });

  test('refuses names reserved for local use', () => {
    for (const url of [
      'http://localhost:8787/',
      'http://LOCALHOST./',
      'http://api.localhost/',
      'http://printer.local/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://router.home.arpa/',
    ]) {
      expect(refused(url), url).toBe(true);
    }
  });
});

test('refuses schemes other than http(s) and URLs with credentials in every configuration', () => {
  for (const options of [production, development]) {
    expect(refused('ftp://example.com/', options)).toBe(true);
    expect(refused('file:///etc/passwd', options)).toBe(true);
    expect(refused('javascript:alert(1)', options)).toBe(true);
    expect(refused('https://user:secret@example.com/', options)).toBe(true);
    expect(refused('not a url', options)).toBe(true);
  }
});

test('allows loopback and private targets when the deployment allows them', () => {
  expect(checkOutboundUrl('http://127.0.0.1:9999/hook', development).ok).toBe(true);
  expect(checkOutboundUrl('http://localhost:9999/hook', development).ok).toBe(true);
});

test('explains a refusal', () => {
  const result = checkOutboundUrl('http://169.254.169.254/', production);
  expect(result).toEqual({ ok: false, detail: expect.stringContaining('link-local') });
});

describe('special-purpose address ranges (IANA registries, through ipaddr.js)', () => {
  /** [URL, the range its refusal names] for every range a request must not reach. */
  const cases: Array<[string, string]> = [
    ['http://[::ffff:127.0.0.1]/', 'IPv4-mapped'],
    ['http://[::ffff:a9fe:a9fe]/', 'IPv4-mapped'],
    ['http://[::ffff:8.8.8.8]/', 'IPv4-mapped'],
    ['http://[::ffff:0:127.0.0.1]/', 'IPv4-translated'],
    ['http://[::ffff:0:a00:1]/', 'IPv4-translated'],
    ['http://[64:ff9b::127.0.0.1]/', 'NAT64'],
    ['http://[64:ff9b::10.0.0.1]/', 'NAT64'],
    ['http://[64:ff9b:1::7f00:1]/', 'NAT64'],
    ['http://[64:ff9b:1:ffff::a9fe:a9fe]/', 'NAT64'],
    ['http://[2002:7f00:1::1]/', '6to4'],
    ['http://[2002:c0a8:101::1]/', '6to4'],
    ['http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', 'Teredo'],
    ['http://169.254.169.254/', 'link-local'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://[febf:ffff::1]/', 'link-local'],
    ['http://[fc00::1]/', 'unique-local'],
    ['http://[fd00:ec2::254]/', 'unique-local'],
    ['http://100.64.0.1/', 'carrier-grade NAT'],
    ['http://100.127.255.254/', 'carrier-grade NAT'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://239.255.255.250/', 'multicast'],
    ['http://[ff02::1]/', 'multicast'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://0.1.2.3/', 'unspecified'],
    ['http://[::]/', 'unspecified'],
    ['http://[::1]/', 'loopback'],
    ['http://127.0.0.1/', 'loopback'],
    ['http://[::7f00:1]/', 'IPv4-compatible'],
    ['http://255.255.255.255/', 'broadcast'],
    ['http://10.1.2.3/', 'private'],
    ['http://192.0.2.1/', 'reserved'],
    ['http://[2001:db8::1]/', 'reserved'],
  ];
  for (const [url, range] of cases) {
    test(`refuses ${url} as ${range}`, () => {
      expect(checkOutboundUrl(url, production)).toEqual({
        ok: false,
        detail: expect.stringContaining(range),
      });
    });
  }

  test('judges an SMTP host written as a bare IPv6 literal the same way', () => {
    expect(privateServerHostReason('::ffff:0:127.0.0.1')).toBe('IPv4-translated');
    expect(privateServerHostReason('64:ff9b:1::7f00:1')).toBe('NAT64');
    expect(privateServerHostReason('2606:4700::1111')).toBeUndefined();
    expect(privateServerHostReason('smtp.example.com')).toBeUndefined();
  });
});
