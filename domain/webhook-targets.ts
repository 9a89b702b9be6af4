// Where webhooks may go: public addresses only, unless an operator lists the host in WEBHOOK_ALLOWED_HOSTS. Pure,
// so the API refuses a channel URL with the same rules the worker applies to the address it connects to.
// Addresses are parsed and matched by Node's net.BlockList (no I/O); the ranges are IANA's special-purpose registries.
import { BlockList, isIP } from 'node:net';

export type AddressKind =
  | 'cloud metadata'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unique-local'
  | 'shared (CGNAT)'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'reserved';

type Range = readonly [network: string, prefix: number, kind: AddressKind];

/** Named apart from the ranges they sit in, so the refusal says what the target really is. */
const METADATA: readonly Range[] = [
  ['169.254.169.254', 32, 'cloud metadata'], // AWS, GCP, Azure, OpenStack
  ['169.254.170.2', 32, 'cloud metadata'], // AWS ECS task credentials
  ['100.100.100.200', 32, 'cloud metadata'], // Alibaba Cloud
  ['192.0.0.192', 32, 'cloud metadata'], // Oracle Cloud
  ['fd00:ec2::254', 128, 'cloud metadata'], // AWS over IPv6
];

const IPV4: readonly Range[] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
  ['255.255.255.255', 32, 'broadcast'],
];

const IPV6: readonly Range[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'reserved'], // IPv4-compatible (deprecated)
  ['64:ff9b:1::', 48, 'private'], // local-use NAT64
  ['100::', 64, 'reserved'], // discard-only
  ['2001::', 23, 'reserved'], // IETF protocol assignments, Teredo among them
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['5f00::', 16, 'reserved'], // segment routing
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'reserved'], // site-local (deprecated)
  ['ff00::', 8, 'multicast'],
];

/**
 * IPv6 forms that carry an IPv4 address reach that address: NAT64 (64:ff9b::/96) and 6to4 (2002::/16) get every
 * IPv4 range again. IPv4-mapped addresses (::ffff:a.b.c.d) need nothing: BlockList matches them to the IPv4 rules.
 */
function embedded([network, prefix, kind]: Range): Range[] {
  const [a, b, c, d] = network.split('.').map(Number) as [number, number, number, number];
  const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
  return [
    [`64:ff9b::${network}`, 96 + prefix, kind],
    [`2002:${hex(a, b)}:${hex(c, d)}::`, 16 + prefix, kind],
  ];
}

/** One rule per range, the most specific first: 169.254.169.254 is cloud metadata before it is link-local. */
function rules(ranges: readonly Range[]): [AddressKind, BlockList][] {
  const bits = ([network, prefix]: Range) => (isIP(network) === 6 ? prefix : 96 + prefix);
  return [...ranges]
    .sort((x, y) => bits(y) - bits(x))
    .map((range) => {
      const [network, prefix, kind] = range;
      const list = new BlockList();
      list.addSubnet(network, prefix, isIP(network) === 6 ? 'ipv6' : 'ipv4');
      return [kind, list];
    });
}

const RULES = rules([...METADATA, ...IPV6, ...IPV4, ...IPV4.flatMap(embedded)]);

/** What kind of non-public address this is, or undefined for a public one. Anything not an IP address is 'reserved'. */
export function classifyAddress(address: string): AddressKind | undefined {
  const bare = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, ''); // URL brackets, IPv6 zone ids
  const family = isIP(bare);
  if (family === 0) return 'reserved';
  const type = family === 6 ? 'ipv6' : 'ipv4';
  return RULES.find(([, list]) => list.check(bare, type))?.[0];
}

/** Host names that are special without asking DNS (RFC 6761 localhost, cloud metadata services). */
function classifyName(name: string): 'loopback' | 'cloud metadata' | undefined {
  if (name === 'localhost' || name.endsWith('.localhost')) return 'loopback';
  if (name === 'metadata.google.internal' || name === 'metadata') return 'cloud metadata';
  return undefined;
}

/** A URL host as compared: lower case (URL does that), no trailing dot, IPv6 in brackets. */
const normalHost = (hostname: string) => hostname.replace(/\.+$/, '');

interface AllowedHost {
  hostname: string;
  port?: number;
}

/** `host`, `host:port`, `1.2.3.4`, `[::1]:8080` or a bare IPv6 address; undefined when the entry is none of those. */
export function parseAllowedHost(entry: string): AllowedHost | undefined {
  const host = isIP(entry) === 6 ? `[${entry}]` : entry;
  const href = `http://${host}`;
  if (!URL.canParse(href)) return undefined;
  const url = new URL(href);
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return undefined;
  const explicitPort = /:\d+$/.test(host);
  return { hostname: normalHost(url.hostname), ...(explicitPort ? { port: Number(url.port || 80) } : {}) };
}

const effectivePort = (url: URL) => Number(url.port || (url.protocol === 'https:' ? 443 : 80));

/** Whether an operator listed this URL's host (and port, when the entry names one): such targets skip every check. */
export function isAllowedHost(url: URL, allowedHosts: readonly string[]): boolean {
  const hostname = normalHost(url.hostname);
  return allowedHosts.some((entry) => {
    const allowed = parseAllowedHost(entry);
    return allowed?.hostname === hostname && (allowed.port === undefined || allowed.port === effectivePort(url));
  });
}

const HOW_TO_ALLOW = 'webhooks go to public addresses only; list the host in WEBHOOK_ALLOWED_HOSTS to allow it';

/**
 * Why a webhook may not go to this URL, judged without DNS (a literal address or a known name), or undefined when
 * it may (names that need DNS are judged at delivery, by `refusedAddress`).
 */
export function refusedTarget(url: URL, allowedHosts: readonly string[]): string | undefined {
  if (isAllowedHost(url, allowedHosts)) return undefined;
  const host = normalHost(url.hostname);
  if (isIP(host.replace(/^\[(.*)\]$/, '$1'))) {
    const kind = classifyAddress(host);
    return kind && `the webhook target ${url.hostname} is ${article(kind)} ${kind} address; ${HOW_TO_ALLOW}`;
  }
  const kind = classifyName(host);
  return kind && `the webhook target ${url.hostname} is ${article(kind)} ${kind} name; ${HOW_TO_ALLOW}`;
}

/** Why a webhook to this URL may not connect to `address`, an address its host name resolved to, or undefined. */
export function refusedAddress(url: URL, address: string, allowedHosts: readonly string[]): string | undefined {
  if (isAllowedHost(url, allowedHosts)) return undefined;
  const kind = classifyAddress(address);
  return kind && `the webhook target ${url.hostname} resolves to ${article(kind)} ${kind} address ${address}; ${HOW_TO_ALLOW}`;
}

const article = (word: string) => (/^[aeiou]/i.test(word) ? 'an' : 'a');
