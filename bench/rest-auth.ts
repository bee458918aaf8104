/**
 * REST throughput and latency of the authenticated paths, against `GET /healthz` measured in the same run.
 *
 *   npx tsx bench/rest-auth.ts                      # embedded SQLite
 *   DATABASE_URL=mysql://root@127.0.0.1:3306/bench npx tsx bench/rest-auth.ts
 *
 * Starts the real server (src/main.ts) as its own process, creates a merchant with 50 paired devices through the
 * API, then drives each path with autocannon (10 connections, 8 s after a 2 s warm-up) and prints req/s, p50 and
 * p99 latency and the ratio to /healthz, which has no auth and no database.
 */
import autocannon from 'autocannon';
import os from 'node:os';
import { benchMerchant, startBenchServer } from './harness';

let URL = '';

function load(p: string, token?: string, seconds = 8) {
  return autocannon({
    url: URL + p,
    connections: 10,
    duration: seconds,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

async function main() {
  const server = await startBenchServer({ PAIRINGS_PER_MINUTE: '100000' });
  URL = server.url;
  const { api } = server;
  try {
    const { store, merchantToken } = await benchMerchant(api, 'Bench');
    let deviceToken = '';
    for (let i = 0; i < 50; i++)
      deviceToken = (
        await api('POST', '/api/v1/merchants/loyalty/devices', merchantToken, {
          store_id: store.id,
          label: `Till ${i}`,
        })
      ).pairing.auth_token;

    const cases: [string, string, string?][] = [
      ['GET /healthz (baseline: no auth, no database)', '/healthz'],
      [
        'GET /api/v1/store/loyalty/session (device token: verify + row by jti + store)',
        '/api/v1/store/loyalty/session',
        deviceToken,
      ],
      ['GET /api/v1/auth/me (user token: verify + user row)', '/api/v1/auth/me', merchantToken],
      [
        'GET /api/v1/merchants/loyalty/devices (user token, list of 50 devices)',
        '/api/v1/merchants/loyalty/devices',
        merchantToken,
      ],
    ];
    console.log(
      `database: ${process.env.DATABASE_URL ? 'MySQL/MariaDB' : 'SQLite (embedded)'}; ${os.cpus().length} cores; node ${process.version}`,
    );
    let baseline = 0;
    for (const [name, p, token] of cases) {
      await load(p, token, 2); // warm-up
      const r = await load(p, token);
      if (r.non2xx) throw new Error(`${name}: ${r.non2xx} non-2xx answers`);
      const rps = r.requests.average;
      baseline ||= rps;
      console.log(
        `${name}\n  ${rps.toFixed(0)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  ratio to baseline ${(rps / baseline).toFixed(2)}`,
      );
    }
  } finally {
    server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
