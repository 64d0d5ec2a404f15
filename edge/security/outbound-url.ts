/**
 * Checks a URL that a user supplied (a custom channel's endpoint, a partner webhook) before
 * the Worker calls it, so that a workspace cannot point our requests at loopback, private
 * networks or cloud metadata services (SSRF). Workers cannot resolve DNS names before a
 * fetch, so the check covers IP literals and the names reserved for local use; a public name
 * that resolves to a private address is the platform's to refuse (Workers' fetch does not
 * reach private ranges in production).
 */

import ipaddr from 'ipaddr.js';

export type OutboundUrlCheck = { ok: true; url: URL } | { ok: false; detail: string };

export interface OutboundUrlOptions {
  /** Local development and tests allow loopback and private targets; production does not. */
  allowPrivate: boolean;
}

const ALLOWED_PROTOCOLS: ReadonlySet<string> = new Set(['http:', 'https:']);

/**
 * Names that never mean a public host: `localhost` and `.localhost` (RFC 6761 §6.3), `.local`
 * (mDNS, RFC 6762), `.internal` (reserved for private use; e.g. `metadata.google.internal`),
 * `.home.arpa` (RFC 8375).
 */
const LOCAL_NAME_SUFFIXES = ['.localhost', '.local', '.internal', '.home.arpa'] as const;
const LOCAL_NAMES: ReadonlySet<string> = new Set(['localhost', 'metadata', 'instance-data']);

/**
 * What each special-purpose range of ipaddr.js (its `range()` names, kept current with the IANA
 * IPv4 and IPv6 Special-Purpose Address Registries, RFC 6890) means in a refusal. We rely on a
 * maintained table rather than a hand-kept prefix list, which is how IPv4-translated and
 * local-use NAT64 addresses once slipped through. Only `unicast` (global) addresses are public;
 * every other range is refused, including those that embed or tunnel to an IPv4 address
 * (IPv4-mapped, IPv4-translated, NAT64, 6to4, Teredo), which could lead to a private one.
 */
const RANGE_REASONS: Record<string, string> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local (cloud metadata)',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT',
  private: 'private',
  reserved: 'reserved',
  uniqueLocal: 'unique-local',
  ipv4Mapped: 'IPv4-mapped',
  rfc6145: 'IPv4-translated',
  rfc6052: 'NAT64',
  '6to4': '6to4',
  teredo: 'Teredo',
  deprecatedSiteLocal: 'site-local',
};

function rangeReason(range: string): string | undefined {
  if (range === 'unicast') return undefined;
  return RANGE_REASONS[range] ?? `special-purpose (${range})`;
}

/**
 * Refuses URLs that are not http(s), that carry credentials, or whose host is a loopback,
 * private, link-local, unique-local, CGNAT or metadata address or a local-only name, unless
 * `allowPrivate` is set (then only the scheme and credentials are checked).
 */
export function checkOutboundUrl(raw: string, options: OutboundUrlOptions): OutboundUrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, detail: 'The URL is not valid' };
  }
  if (!ALLOWED_PROTOCOLS.has(url.protocol)) {
    return { ok: false, detail: `The URL scheme ${url.protocol} is not allowed; use https` };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, detail: 'The URL must not contain a username or password' };
  }
  if (options.allowPrivate) return { ok: true, url };
  const refusal = privateHostReason(url.hostname);
  if (refusal) return { ok: false, detail: `The URL points at a ${refusal} address` };
  return { ok: true, url };
}

/**
 * Why `hostname` (as the WHATWG URL parser normalises it: IPv4 in dotted decimal, IPv6 in
 * brackets, lower case) is not a public host, or undefined when it may be one.
 */
export function privateHostReason(hostname: string): string | undefined {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  const literal = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (literal.includes(':')) {
    if (!ipaddr.IPv6.isValid(literal)) return 'unparseable IPv6';
    const address = ipaddr.IPv6.parse(literal);
    const range = address.range();
    // IPv4-compatible ::a.b.c.d (deprecated, RFC 4291 §2.5.5.1) is in no range of the table.
    const compatible = address.parts.slice(0, 6).every((part) => part === 0);
    if (compatible && range !== 'unspecified' && range !== 'loopback') return 'IPv4-compatible';
    return rangeReason(range);
  }
  // The URL parser has already turned every IPv4 spelling (0x7f.1, 2130706433) into a.b.c.d.
  if (ipaddr.IPv4.isValidFourPartDecimal(literal)) {
    return rangeReason(ipaddr.IPv4.parse(literal).range());
  }
  if (LOCAL_NAMES.has(host) || LOCAL_NAME_SUFFIXES.some((suffix) => host.endsWith(suffix))) {
    return 'local-only';
  }
  return undefined;
}
/**
 * `privateHostReason` for a bare server host as a channel's settings hold it (an SMTP host: a
 * name, an IPv4 literal, or an IPv6 literal with or without brackets), normalised the way the
 * URL parser normalises a URL's host.
 */
export function privateServerHostReason(host: string): string | undefined {
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  let hostname = bracketed;
  try {
    hostname = new URL(`http://${bracketed}`).hostname;
  } catch {
    // Not a parseable host: judge it as written.
  }
  return privateHostReason(hostname);
}
