/**
 * Command round trip: create (REST) → the tablet receives `command`, acknowledges, sends `command:result` → the
 * server answers `succeeded`, with TABLETS tablets connected to one node; against the baseline of an authenticated
 * REST read of the same device in the same run.
 *
 *   npm run bench:commands                      # embedded SQLite; TABLETS=200 COMMANDS=1000 CONCURRENCY=10
 *   DATABASE_URL=mysql://root@127.0.0.1:3306/bench npm run bench:commands
 *
 * Appends a dated row to bench/RESULTS.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { benchMerchant, startBenchServer } from './harness';

const TABLETS = Number(process.env.TABLETS ?? 200);
const COMMANDS = Number(process.env.COMMANDS ?? 1000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 10);

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function main() {
  const server = await startBenchServer({
    PAIRINGS_PER_MINUTE: '1000000',
    SOCKET_MAX_PER_ADDRESS: '1000000',
    SOCKET_CONNECTS_PER_MINUTE: '1000000',
  });
  const { api, url } = server;
  const sockets: Socket[] = [];
  try {
    const { store, merchantToken } = await benchMerchant(api, 'Commands');
    const devices: { id: number; token: string }[] = [];
    for (let i = 0; i < TABLETS; i++) {
      const r = await api('POST', '/api/v1/merchants/loyalty/devices', merchantToken, {
        store_id: store.id,
        label: `Till ${i}`,
      });
      devices.push({ id: r.device.id, token: r.pairing.auth_token });
    }
    // Each tablet acknowledges and reports at once; the result's answer resolves the command's waiter.
    const waiting = new Map<number, (status: string) => void>();
    await Promise.all(
      devices.map(
        (d) =>
          new Promise<void>((resolve, reject) => {
            const s = io(`${url}/devices`, {
              auth: { token: d.token },
              transports: ['websocket'],
              reconnection: false,
            });
            sockets.push(s);
            s.on('command', async (c: { id: number }, received: () => void) => {
              received();
              const ack = await s.emitWithAck('command:result', { id: c.id, ok: true, result: { pong: true } });
              waiting.get(c.id)?.(ack.status ?? ack.error?.code);
            });
            s.once('session', () => resolve());
            s.once('connect_error', reject);
          }),
      ),
    );

    const run = async (one: (i: number) => Promise<void>) => {
      const latencies: number[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < COMMANDS) {
            const i = next++;
            const start = performance.now();
            await one(i);
            latencies.push(performance.now() - start);
          }
        }),
      );
      return latencies.sort((a, b) => a - b);
    };
    const read = (i: number) =>
      api('GET', `/api/v1/merchants/loyalty/devices/${devices[i % TABLETS].id}`, merchantToken).then(() => undefined);
    const roundTrip = async (i: number) => {
      const d = devices[i % TABLETS];
      const created = await api('POST', `/api/v1/merchants/loyalty/devices/${d.id}/commands`, merchantToken, {
        type: 'ping',
      });
      const id = created.command.id as number;
      const status = await new Promise<string>((resolve) => waiting.set(id, resolve));
      waiting.delete(id);
      if (status !== 'succeeded') throw new Error(`command ${id}: ${status}`);
    };
    await run(read); // warm-up
    const baseline = await run(read);
    const trips = await run(roundTrip);
    const db = process.env.DATABASE_URL ? 'MariaDB' : 'SQLite';
    const [b50, b99, r50, r99] = [pct(baseline, 0.5), pct(baseline, 0.99), pct(trips, 0.5), pct(trips, 0.99)];
    console.log(
      `database: ${db}; ${os.cpus().length} cores; ${TABLETS} tablets; ${COMMANDS} commands, ${CONCURRENCY} at a time`,
    );
    console.log(`baseline GET one device: p50 ${b50.toFixed(1)} ms  p99 ${b99.toFixed(1)} ms`);
    console.log(
      `command round trip:      p50 ${r50.toFixed(1)} ms  p99 ${r99.toFixed(1)} ms  (p50 ×${(r50 / b50).toFixed(1)})`,
    );
    const row = `| ${new Date().toISOString().slice(0, 16).replace('T', ' ')} | ${db} | ${TABLETS} | ${COMMANDS} × ${CONCURRENCY} | ${b50.toFixed(1)} / ${b99.toFixed(1)} ms | ${r50.toFixed(1)} / ${r99.toFixed(1)} ms | ${(r50 / b50).toFixed(1)} |\n`;
    fs.appendFileSync(path.join(__dirname, 'RESULTS.md'), row);
  } finally {
    for (const s of sockets) s.close();
    server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
