/**
 * The last_seen batch: DEVICES devices (half of them with a state report) written the way the server flushes them
 * (DeviceService.recordLastSeen: one UPDATE … CASE per chunk of 500, state merged as a JSON patch), against the
 * baseline of the same rows written one UPDATE per device in one transaction, in the same run.
 *
 *   npm run bench:last-seen                       # embedded SQLite (a temp DATA_DIR); DEVICES=50000
 *   DATABASE_URL=mysql://root@127.0.0.1:3306/th_bench npm run bench:last-seen
 *
 * The database is migrated and filled in this process (one merchant, stores of 100 devices). Appends a dated row to
 * bench/RESULTS.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../src/db/open';
import { transaction } from '../src/db/transaction';
import { newDeviceRow, TerminalDevice } from '../src/devices/entities';
import { DeviceService, type LastSeen } from '../src/devices/service';
import { EventBus } from '../src/events';
import { createLogger } from '../src/logger';
import { Merchant, Store } from '../src/tenancy/entities';
import { TenancyService } from '../src/tenancy/service';
import { recordResult } from './harness';

const DEVICES = Number(process.env.DEVICES ?? 50_000);

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'th-bench-last-seen-'));
  const config = { databaseUrl: process.env.DATABASE_URL, databasePoolSize: 4, dataDir };
  const db = await openDatabase(config);
  const logger = createLogger('warn', 'json');
  try {
    const now = new Date();
    const merchantId = (
      await db
        .getRepository(Merchant)
        .insert({ name: `LastSeen ${now.getTime()}`, offlineAfterS: null, createdAt: now, updatedAt: now })
    ).identifiers[0].id as number;
    const storeIds: number[] = [];
    for (let s = 0; s < Math.ceil(DEVICES / 100); s++) {
      const code = `LS${now.getTime().toString(36)}-${s}`;
      storeIds.push(
        (await db.getRepository(Store).insert({ merchantId, name: code, code, createdAt: now, updatedAt: now }))
          .identifiers[0].id as number,
      );
    }
    const repo = db.getRepository(TerminalDevice);
    const ids: number[] = [];
    for (let i = 0; i < DEVICES; i += 500) {
      const rows = Array.from({ length: Math.min(500, DEVICES - i) }, (_, k) =>
        repo.create(
          newDeviceRow({
            merchantId,
            storeId: storeIds[Math.floor((i + k) / 100)],
            label: `Till ${i + k}`,
            createdById: null,
            expiresAt: new Date(now.getTime() + 365 * 86_400_000),
            now,
          }),
        ),
      );
      await repo.insert(rows);
      ids.push(
        ...(await repo.find({ where: rows.map((r) => ({ jti: r.jti })), select: { id: true } })).map((r) => r.id),
      );
    }
    const devices = new DeviceService(
      db,
      undefined as never, // recordLastSeen needs none of the others
      new EventBus(logger),
      { deviceTokenTtlMs: 0, publicUrl: '', expiryWarningDays: 30 } as never,
      { onlineDeviceIds: async () => new Set() },
      new TenancyService(db),
    );
    const batch = (at: Date): [number, LastSeen][] =>
      ids.map((id, i) => [
        id,
        i % 2
          ? { at, ip: '127.0.0.1' }
          : { at, ip: '127.0.0.1', state: { battery: 50 + (i % 50), updated_at: at.toISOString() } as never },
      ]);

    // Baseline: one UPDATE per device, in one transaction.
    const b0 = performance.now();
    const one = batch(new Date());
    await transaction(db, async (m) => {
      for (const [id, s] of one)
        await m.getRepository(TerminalDevice).update({ id }, { lastSeenAt: s.at, lastSeenIp: s.ip });
    });
    const baseline = (performance.now() - b0) / 1000;

    let statements = 0;
    const t0 = performance.now();
    await devices.recordLastSeen(batch(new Date()), () => {
      statements++;
    });
    const batched = (performance.now() - t0) / 1000;

    // A flush of connected devices only: one time, four client addresses, no state (what an idle node writes).
    const sweep = (at: (i: number) => Date): [number, LastSeen][] =>
      ids.map((id, i) => [id, { at: at(i), ip: `127.0.0.${2 + (i % 4)}` }]);
    let sweepStatements = 0;
    const sweepAt = new Date();
    const s0 = performance.now();
    await devices.recordLastSeen(
      sweep(() => sweepAt),
      () => {
        sweepStatements++;
      },
    );
    const swept = (performance.now() - s0) / 1000;
    const seen5 = await repo.findOneByOrFail({ id: ids[5] });
    if (seen5.lastSeenIp !== '127.0.0.3' || Math.abs((seen5.lastSeenAt?.getTime() ?? 0) - sweepAt.getTime()) > 1000)
      throw new Error('the sweep did not write what it was given');
    // The same rows, each with its own time: every one through the CASE statements.
    const c0 = performance.now();
    const base = Date.now();
    await devices.recordLastSeen(sweep((i) => new Date(base + i)));
    const sweptCase = (performance.now() - c0) / 1000;

    const sample = await repo.findOneByOrFail({ id: ids[0] });
    if (!sample.lastSeenAt || (sample.state as { battery?: number } | null)?.battery !== 50)
      throw new Error('the batch did not write what it was given');
    const db_ = process.env.DATABASE_URL ? 'MariaDB' : 'SQLite';
    console.log(`${db_}; ${os.cpus().length} cores; ${DEVICES} devices, half with a state report`);
    console.log(`baseline, one UPDATE per device in one transaction: ${baseline.toFixed(2)} s`);
    console.log(
      `the server's batch: ${statements} statements, ${batched.toFixed(2)} s (${(DEVICES / batched).toFixed(0)} devices/s; ${(baseline / batched).toFixed(1)}× faster)`,
    );
    console.log(
      `connected sweep (one time, 4 addresses, no state): ${sweepStatements} statements, ${swept.toFixed(2)} s; the same rows through CASE: ${sweptCase.toFixed(2)} s (${(sweptCase / swept).toFixed(1)}× slower)`,
    );
    const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
    recordResult(
      'last-seen.ts',
      `| ${when} | ${db_} | ${DEVICES} | ${baseline.toFixed(2)} s | ${batched.toFixed(2)} s | ${statements} | ${(baseline / batched).toFixed(1)} | ${swept.toFixed(2)} s | ${sweptCase.toFixed(2)} s |`,
    );
  } finally {
    await db.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
