import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedTarget } from './guard';

/**
 * Connections are kept and reused (per host and port): a new one is always made to the address the guard checked for
 * this attempt (`lookup`), and a kept one goes to an address checked when it was made, so reuse cannot reach an
 * address that was never checked.
 */
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 16, timeout: 30_000 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 16, timeout: 30_000 }),
};

/** A delivery succeeds with a 2xx within this long (§13). */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** What is kept of a response body. */
export const EXCERPT_BYTES = 1024;

export interface Attempt {
  /** The HTTP status, or null when there was none (refused, timed out, TLS). */
  status: number | null;
  ms: number;
  /** The start of the response body, or what went wrong. */
  excerpt: string;
  ok: boolean;
}

/**
 * One POST of a signed body to a checked target: the connection goes to the address the guard resolved (its name
 * is not looked up again, and TLS still verifies the certificate for the name), redirects are not followed, the
 * whole exchange is bounded by DELIVERY_TIMEOUT_MS, and at most EXCERPT_BYTES of the answer are read.
 */
export function post(target: ResolvedTarget, headers: Record<string, string>, body: string): Promise<Attempt> {
  const started = performance.now();
  const { url, address, family } = target;
  const pinned: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all)
      (cb as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else cb(null, address, family);
  };
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    /** `keep`: the answer was read to its end, so the connection may serve the next delivery. */
    const done = (a: Omit<Attempt, 'ms'>, keep = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!keep) req.destroy();
      resolve({ ...a, ms: Math.round(performance.now() - started) });
    };
    const req = transport.request(
      url,
      {
        method: 'POST',
        lookup: pinned,
        agent: agents[url.protocol as keyof typeof agents],
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'terminal-hub-webhooks/1',
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = (keep: boolean) =>
          done(
            {
              status,
              ok: status >= 200 && status < 300,
              excerpt: Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8'),
            },
            keep && status >= 200 && status < 300,
          );
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          size += c.length;
          if (size >= EXCERPT_BYTES) finish(false); // the rest is not read: that connection is not kept
        });
        res.on('end', () => finish(true));
        res.on('error', () => finish(false));
      },
    );
    const timer = setTimeout(
      () => done({ status: null, ok: false, excerpt: `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s` }),
      DELIVERY_TIMEOUT_MS,
    );
    req.on('error', (err) => done({ status: null, ok: false, excerpt: err.message.slice(0, EXCERPT_BYTES) }));
    req.end(body);
  });
}
