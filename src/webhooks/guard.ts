import dns from 'node:dns/promises';
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

/** Public unicast only: no loopback, private, link-local, carrier-grade NAT, multicast, reserved, or mapped private. */
export function isPublicAddress(address: string): boolean {
  try {
    return ipaddr.process(address).range() === 'unicast';
  } catch {
    return false;
  }
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
    addresses = await withDeadline(dns.lookup(host, { all: true, verbatim: true }), DNS_TIMEOUT_MS);
  } catch {
    return { refused: `does not resolve (${host})` };
  }
  if (addresses.length === 0) return { refused: `does not resolve (${host})` };
  if (!allowPrivate && !addresses.every((a) => isPublicAddress(a.address)))
    return { refused: 'must resolve to public addresses only' };
  const [first] = addresses;
  return { ok: { url, address: first.address, family: first.family === 6 ? 6 : 4 } };
}
