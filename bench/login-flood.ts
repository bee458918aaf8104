/**
 * A tablet's store-API call while 64 failed logins are in flight, against the same call without them, in one run.
 *
 *   npm run bench:login-flood                      # embedded SQLite
 *   DATABASE_URL=mysql://root@127.0.0.1:3306/bench npm run bench:login-flood
 *
 * Starts the real server (src/main.ts) as its own process behind a trusted proxy, so the flood can come from many
 * addresses (a botnet: the per-address login limit does not stop it). The flood keeps 64 logins with wrong passwords
 * in flight. Meanwhile a tablet looks a card up (device token: an HS256 check on the thread pool, then the row),
 * 4 requests at a time. Prints p50/p99 with and without the flood, their ratio, what the flood got back, and appends
 * a dated row to bench/RESULTS.md. Goal: p99 under the flood within 2× of p99 without it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchMerchant, startBenchServer } from './harness';

let URL = '';
const IN_FLIGHT = 64;
const SAMPLES = 400;
const CONCURRENCY = 4;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

/** SAMPLES card lookups, CONCURRENCY at a time; latencies in ms, sorted. */
async function measure(cardPath: string, token: string): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < SAMPLES) {
        const start = performance.now();
        const res = await fetch(URL + cardPath, { headers: { authorization: `Bearer ${token}` } });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`card lookup: ${res.status}`);
        latencies.push(performance.now() - start);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

/**
 * The flood runs in its own process (`--flood`), so that its event loop is not the measuring one: it keeps
 * IN_FLIGHT failed logins going from ever new addresses until told to stop, then reports what it got back.
 */
async function floodProcess(): Promise<void> {
  let running = true;
  let n = Math.floor(Math.random() * 1e6);
  const answers: Record<string, number> = {};
  process.on('message', () => {
    running = false;
  });
  const one = async (): Promise<void> => {
    while (running) {
      n++;
      const res = await fetch(`${process.env.FLOOD_URL}/api/v1/auth/login`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
        },
        body: JSON.stringify({ email: `nobody-${n}@example.com`, password: 'not the password' }),
      }).catch(() => undefined);
      await res?.arrayBuffer();
      const key = String(res?.status ?? 'error');
      answers[key] = (answers[key] ?? 0) + 1;
    }
  };
  process.send?.('started');
  await Promise.all(Array.from({ length: IN_FLIGHT }, one));
  process.send?.(answers);
}

function flood() {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--flood'], {
    env: { ...process.env, FLOOD_URL: URL },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: unknown[] = [];
  const next = () => new Promise<unknown>((resolve) => child.once('message', resolve));
  child.on('message', (m) => messages.push(m));
  return {
    started: next(),
    stop: async (): Promise<Record<string, number>> => {
      const done = next();
      child.send('stop');
      const answers = (await done) as Record<string, number>;
      child.kill();
      return answers;
    },
  };
}

async function main() {
  const server = await startBenchServer({ TRUST_PROXY: 'loopback' });
  URL = server.url;
  const { api } = server;
  try {
    const { store, merchantToken } = await benchMerchant(api, 'Flood');
    const device = (
      await api('POST', '/api/v1/merchants/loyalty/devices', merchantToken, { store_id: store.id, label: 'Till' })
    ).pairing.auth_token as string;
    const card = (await api('POST', '/api/v1/store/loyalty/cards', device, {})).card.card_number as string;
    const cardPath = `/api/v1/store/loyalty/cards/${card}`;

    await measure(cardPath, device); // warm-up
    const quiet = await measure(cardPath, device);
    const f = flood();
    await f.started;
    await new Promise((r) => setTimeout(r, 1000)); // the flood at full strength
    const flooded = await measure(cardPath, device);
    const floodAnswers = await f.stop();

    const db = process.env.DATABASE_URL ? 'MariaDB' : 'SQLite';
    const [q50, q99, f50, f99] = [
      percentile(quiet, 0.5),
      percentile(quiet, 0.99),
      percentile(flooded, 0.5),
      percentile(flooded, 0.99),
    ];
    const ratio = f99 / q99;
    const answers = Object.entries(floodAnswers)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    console.log(`database: ${db}; ${os.cpus().length} cores; node ${process.version}; UV_THREADPOOL_SIZE default 8`);
    console.log(`card lookup, no flood:           p50 ${q50.toFixed(1)} ms  p99 ${q99.toFixed(1)} ms`);
    console.log(`card lookup, ${IN_FLIGHT} logins in flight: p50 ${f50.toFixed(1)} ms  p99 ${f99.toFixed(1)} ms`);
    console.log(`p99 ratio (flood / no flood): ${ratio.toFixed(2)}  (goal ≤ 2)`);
    console.log(`the flood's answers: ${answers}`);
    const row = `| ${new Date().toISOString().slice(0, 16).replace('T', ' ')} | ${db} | ${q50.toFixed(1)} / ${q99.toFixed(1)} ms | ${f50.toFixed(1)} / ${f99.toFixed(1)} ms | ${ratio.toFixed(2)} | ${answers} |\n`;
    fs.appendFileSync(path.join(__dirname, 'RESULTS.md'), row);
  } finally {
    server.stop();
  }
}

(process.argv.includes('--flood') ? floodProcess() : main()).catch((err) => {
  console.error(err);
  process.exit(1);
});
