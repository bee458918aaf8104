import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { withDeadline } from '../errors';

/** How long a webhook URL's name may take to resolve. */
export const DNS_TIMEOUT_MS = 5000;

export interface ResolvedTarget {
  url: URL;
  /** The address the connection goes to: resolved once, checked, then pinned (no second lookup to rebind). */
  address: string;
  family: 4 | 6;
}

/** Why a URL is refused, as the sentence a `VALIDATION_ERROR` shows for `url`. */
export type Refusal = string;

/** NAT64 prefixes: a public-looking IPv6 address that a local NAT64 turns into any IPv4 one, private included. */
const NAT64 = [ipaddr.parseCIDR('64:ff9b::/96'), ipaddr.parseCIDR('64:ff9b:1::/48')];
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/**
 * Public unicast only: no loopback, private, link-local, carrier-grade NAT, multicast, reserved, or mapped private;
 * for IPv6, global unicast (2000::/3) only, and no NAT64 prefix.
 */
export function isPublicAddress(address: string): boolean {
  try {
    const ip = ipaddr.process(address);
    if (ip.range() !== 'unicast') return false;
    if (ip.kind() === 'ipv6') return ip.match(GLOBAL_UNICAST_V6) && !NAT64.some((net) => ip.match(net));
    return true;
  } catch {
    return false;
  }
}

/**
 * Names are resolved with c-ares (`Resolver`: its own sockets, a timeout per try), not `dns.lookup`, whose
 * getaddrinfo runs on libuv's small thread pool: a black-holed name server could hold those threads and stall
 * every password hash and file read of the process. (So `/etc/hosts` is not read: `localhost` does not resolve.)
 */
const resolver = new Resolver({ timeout: 2000, tries: 2 });

async function resolveName(host: string): Promise<{ address: string; family: number }[]> {
  const family = isIP(host);
  if (family) return [{ address: host, family }];
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
  return [
    ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 })) : []),
    ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 })) : []),
  ];
}

/**
 * The SSRF guard (§13): `https://` only, and every address the name resolves to must be public. With
 * `allowPrivate` (WEBHOOK_ALLOW_PRIVATE, development and tests) `http://` and private addresses pass too.
 * Checked when an endpoint is saved and again before every attempt; the attempt connects to the address checked here.
 */
export async function resolveTarget(
  raw: string,
  allowPrivate: boolean,
): Promise<{ ok: ResolvedTarget } | { refused: Refusal }> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { refused: 'must be an absolute URL' };
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:'))
    return { refused: 'must start with https://' };
  if (url.username || url.password) return { refused: 'must not carry a user name or password' };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: { address: string; family: number }[];
  try {
    addresses = await withDeadline(resolveName(host), DNS_TIMEOUT_MS);
  } catch {
    return { refused: `does not resolve (${host})` };
  }
  if (addresses.length === 0) return { refused: `does not resolve (${host})` };
  if (!allowPrivate && !addresses.every((a) => isPublicAddress(a.address)))
    return { refused: 'must resolve to public addresses only' };
  const [first] = addresses;
  return { ok: { url, address: first.address, family: first.family === 6 ? 6 : 4 } };
}
