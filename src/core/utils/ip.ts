/**
 * @internal
 * Address classification with no Node dependency (the main entry runs on web-standard runtimes): which
 * addresses the public internet, and so Safaricom, cannot reach.
 */

/** Where an address lives: `public`, or one of the ranges Safaricom cannot reach. */
export type AddressScope = 'public' | 'loopback' | 'private' | 'link-local' | 'shared' | 'unspecified';

/** A dotted-quad IPv4 address as a 32-bit number, or `undefined`. */
function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    n = n * 256 + Number(part);
  }
  return n;
}

/** An IPv6 address as eight 16-bit groups (an embedded IPv4 tail accepted), or `undefined`. */
function parseIpv6(text: string): number[] | undefined {
  let s = text;
  const tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.') && lastColon !== -1) {
    const v4 = parseIpv4(s.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail.push(Math.floor(v4 / 65536), v4 % 65536);
    s = `${s.slice(0, lastColon + 1)}0`; // placeholder group, dropped below
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (tail.length > 0) (halves.length === 2 ? rest : head).pop();
  const all = [...head, ...rest];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  const width = 8 - tail.length;
  if (halves.length === 1 ? all.length !== width : all.length > width - 1) return undefined;
  const fill = Array<number>(width - all.length).fill(0);
  const hex = (g: string) => Number.parseInt(g, 16);
  return [...head.map(hex), ...fill, ...rest.map(hex), ...tail];
}

function ipv4Scope(n: number): AddressScope {
  const a = Math.floor(n / 2 ** 24);
  const b = Math.floor(n / 2 ** 16) % 256;
  if (a === 0) return 'unspecified'; // 0.0.0.0/8, "this network"
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 100 && b >= 64 && b <= 127) return 'shared'; // 100.64.0.0/10, carrier-grade NAT
  return 'public';
}

/**
 * The scope of an IP address (IPv4, IPv6, IPv4-mapped IPv6, with or without brackets or a zone), or
 * `undefined` when `address` is not an IP address.
 */
export function addressScope(address: string): AddressScope | undefined {
  let a = address.trim().toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  a = a.replace(/%.*$/, '');
  const v4 = parseIpv4(a);
  if (v4 !== undefined) return ipv4Scope(v4);
  if (!a.includes(':')) return undefined;
  const g = parseIpv6(a);
  if (!g) return undefined;
  const first = g[0]!;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return ipv4Scope(g[6]! * 65536 + g[7]!);
  if (g.every((x) => x === 0)) return 'unspecified';
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'loopback';
  if ((first & 0xfe00) === 0xfc00) return 'private'; // fc00::/7, unique local
  if ((first & 0xffc0) === 0xfe80) return 'link-local'; // fe80::/10
  return 'public';
}

/** Words for a scope, for messages. */
export function describeScope(scope: Exclude<AddressScope, 'public'>): string {
  switch (scope) {
    case 'loopback':
      return 'a loopback address';
    case 'private':
      return 'a private-network address';
    case 'link-local':
      return 'a link-local address';
    case 'shared':
      return 'a carrier-grade NAT address (100.64.0.0/10)';
    case 'unspecified':
      return 'the unspecified address';
  }
}

/**
 * Why Daraja cannot reach `hostname` (a URL's hostname), or `undefined` when it may: `localhost` and
 * `*.localhost`, `*.local` (mDNS), and loopback, private, link-local, shared and unspecified addresses.
 */
export function unreachableHost(hostname: string): string | undefined {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return `"${host}" is this machine`;
  if (host.endsWith('.local')) return `"${host}" is a local-network (mDNS) name`;
  const scope = addressScope(host);
  if (scope !== undefined && scope !== 'public') return `${host} is ${describeScope(scope)}`;
  return undefined;
}

/**
 * The IP version of `text`, as `node:net`'s `isIP` answers: `4` for a dotted quad (no leading zeros),
 * `6` for an IPv6 address (compressed or not, with an embedded IPv4 tail, or a `%zone`), else `0`.
 */
export function ipVersion(text: string): 0 | 4 | 6 {
  if (!text.includes(':'))
    return /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(text)
      ? 4
      : 0;
  const zone = text.indexOf('%');
  const address = zone === -1 ? text : text.slice(0, zone);
  if (zone !== -1 && !/^%[^%\s]+$/.test(text.slice(zone))) return 0;
  const tail = address.slice(address.lastIndexOf(':') + 1);
  if (tail.includes('.') && ipVersion(tail) !== 4) return 0;
  return parseIpv6(address) ? 6 : 0;
}
