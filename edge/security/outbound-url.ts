/**
 * Checks a URL that a user supplied (a custom channel's endpoint, a partner webhook) before
 * the Worker calls it, so that a workspace cannot point our requests at loopback, private
 * networks or cloud metadata services (SSRF). Workers cannot resolve DNS names before a
 * fetch, so the check covers IP literals and the names reserved for local use; a public name
 * that resolves to a private address is the platform's to refuse (Workers' fetch does not
 * reach private ranges in production).
 */

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

/** IPv4 ranges that are not publicly routable (RFC 6890 special-purpose registry). */
const PRIVATE_IPV4_RANGES: ReadonlyArray<readonly [string, number, string]> = [
  ['0.0.0.0', 8, 'this network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

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
  if (host.startsWith('[') && host.endsWith(']')) return privateIpv6Reason(host.slice(1, -1));
  const ipv4 = parseIpv4(host);
  if (ipv4 !== undefined) return privateIpv4Reason(ipv4);
  if (LOCAL_NAMES.has(host) || LOCAL_NAME_SUFFIXES.some((suffix) => host.endsWith(suffix))) {
    return 'local-only';
  }
  return undefined;
}

function parseIpv4(host: string): number | undefined {
  const parts = host.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

function ipv4Value(dotted: string): number {
  return parseIpv4(dotted) ?? 0;
}

function privateIpv4Reason(address: number): string | undefined {
  if (address === 0xffffffff) return 'broadcast';
  for (const [base, prefix, reason] of PRIVATE_IPV4_RANGES) {
    const size = 2 ** (32 - prefix);
    const start = ipv4Value(base);
    if (address >= start && address < start + size) return reason;
  }
  return undefined;
}

/** The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail is accepted). */
function parseIpv6(text: string): number[] | undefined {
  let hex = text;
  const lastColon = hex.lastIndexOf(':');
  const dotted = parseIpv4(hex.slice(lastColon + 1));
  if (dotted !== undefined) {
    const high = Math.floor(dotted / 0x10000).toString(16);
    const low = (dotted % 0x10000).toString(16);
    hex = `${hex.slice(0, lastColon + 1)}${high}:${low}`;
  }
  const halves = hex.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const left = groupsOf(halves[0] ?? '');
  const right = groupsOf(halves[1] ?? '');
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const texts =
    halves.length === 1 ? left : [...left, ...new Array<string>(missing).fill('0'), ...right];
  const groups: number[] = [];
  for (const group of texts) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return undefined;
    groups.push(Number.parseInt(group, 16));
  }
  return groups;
}

function embeddedIpv4(groups: number[], index: number): number {
  return (groups[index] ?? 0) * 0x10000 + (groups[index + 1] ?? 0);
}

function privateIpv6Reason(text: string): string | undefined {
  const groups = parseIpv6(text);
  if (!groups) return 'unparseable IPv6';
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  const firstSix = [g0, g1, g2, g3, g4, g5];
  if (firstSix.every((group) => group === 0)) {
    if (g6 === 0 && g7 === 0) return 'unspecified';
    if (g6 === 0 && g7 === 1) return 'loopback';
    // IPv4-compatible (deprecated, RFC 4291 §2.5.5.1): judge the IPv4 inside.
    return privateIpv4Reason(embeddedIpv4(groups, 6));
  }
  // IPv4-mapped ::ffff:a.b.c.d (RFC 4291 §2.5.5.2) and NAT64 64:ff9b::a.b.c.d (RFC 6052).
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) {
    return privateIpv4Reason(embeddedIpv4(groups, 6));
  }
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return privateIpv4Reason(embeddedIpv4(groups, 6));
  }
  // 6to4 2002:a.b.c.d::/48 (RFC 3056) carries an IPv4 address in groups 1–2.
  if (g0 === 0x2002) return privateIpv4Reason(embeddedIpv4(groups, 1));
  if ((g0 & 0xfe00) === 0xfc00) return 'unique-local';
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xffc0) === 0xfec0) return 'site-local';
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
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
