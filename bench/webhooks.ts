/**
 * Webhooks: a storm of offline tablets. TABLETS tablets of one merchant disconnect at once; each disconnect is a
 * `device.offline` event (a presence transition: buffered, stored in chunks every WEBHOOK_POLL_MS) for each of the
 * merchant's E endpoints, which the dispatcher POSTs to a local receiver (node:http on 127.0.0.1, in this process)
 * that records every delivery: its `webhook-id`, type and arrival. Measures, from the moment of the disconnects (t0):
 * deliveries per second (E × TABLETS expected), the time until all are delivered, and each delivery's delay p50 /
 * p99; a sample of the signatures is checked with `standardwebhooks` (`new Webhook(secret).verify(body, headers)`).
 *
 *   npm run bench:webhooks                                                   # SQLite; TABLETS=1000 ENDPOINTS=1,20 DOWN_S=60
 *   DATABASE_URL=mysql://root@127.0.0.1:3306/th_bench npm run bench:webhooks  # MariaDB
 *   env: TABLETS, ENDPOINTS (comma-separated endpoint counts, one fresh merchant each, at most 20), EVENTS
 *        (`device.offline` or `*`), DOWN_S (the outage), OUTAGE_ENDPOINTS (the merchant of the outage, by its endpoint
 *        count: the last of ENDPOINTS unless set), DEADLINE_S (each wait, 600), VERIFY_EVERY (1 in n signatures, 10)
 *
 * Baseline in the same run: the same storm for a merchant without an endpoint, until its dashboard has received
 * `device:offline` for every tablet (the server has announced them all); the same time is reported for every
 * scenario, so what the webhooks cost the presence path shows too. Then the outage: the tablets of the last
 * merchant connect again, the receiver answers 503 for DOWN_S seconds while they all disconnect once more, then 200:
 * every event must still arrive (each `webhook-id` at least once per endpoint; duplicates counted), and the time from
 * "receiver back" to "all delivered" is reported (retries come ~5 s, 30 s, 2 min, 10 min after each failure, ±20 %).
 * A scenario ends when the server lists no pending delivery for its endpoints (none in flight, none to come).
 * Tablets are bulk-inserted (bench/harness.ts bulkPair) and connect as raw sockets, 100 handshakes in flight.
 * Appends one dated row per scenario to bench/RESULTS.md.
 */
import http from 'node:http';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { io, type Socket } from 'socket.io-client';
import { Webhook } from 'standardwebhooks';
import { type Api, benchMerchant, benchStores, bulkPair, recordResult, startBenchServer } from './harness';

const TABLETS = Number(process.env.TABLETS ?? 1000);
const ENDPOINTS = (process.env.ENDPOINTS ?? '1,20').split(',').map(Number);
const EVENTS = process.env.EVENTS ?? 'device.offline';
const DOWN_S = Number(process.env.DOWN_S ?? 60);
const OUTAGE_ENDPOINTS = Number(process.env.OUTAGE_ENDPOINTS ?? ENDPOINTS[ENDPOINTS.length - 1]);
const DEADLINE_MS = Number(process.env.DEADLINE_S ?? 600) * 1000;
const VERIFY_EVERY = Number(process.env.VERIFY_EVERY ?? 10);
const OPEN = 100; // handshakes in flight while the tablets connect

const now = () => performance.now();
const secs = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
const until = async (what: string, done: () => boolean | Promise<boolean>, every = 20) => {
  const t0 = now();
  while (!(await done())) {
    if (now() - t0 > DEADLINE_MS) throw new Error(`${what}: not within ${DEADLINE_MS / 1000} s`);
    await sleep(every);
  }
};

// ---------------------------------------------------------------------------------------------------------------
// The receiver: one path per endpoint, every POST recorded; 503 while `down`.
interface Arrival {
  type: string;
  deviceId: number;
  createdAt: number; // the event's created_at (server clock = this machine's)
  first: number; // performance.now() of the first accepted delivery
  count: number; // accepted deliveries of this webhook-id to this endpoint
}
const receiver = {
  down: false,
  secrets: new Map<string, string>(), // path → secret
  arrivals: new Map<string, Map<string, Arrival>>(), // path → webhook-id → arrival
  accepted: 0,
  refused: 0, // answered 503
  verified: 0,
  badSignatures: 0,
  malformed: 0,
};
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = now();
    const path = req.url ?? '';
    if (receiver.down) {
      receiver.refused++;
      return void res.writeHead(503).end('down');
    }
    const body = Buffer.concat(chunks).toString('utf8');
    const id = String(req.headers['webhook-id'] ?? '');
    let parsed: { id: string; type: string; created_at: string; data: { device?: { id: number } } };
    try {
      parsed = JSON.parse(body);
    } catch {
      receiver.malformed++;
      return void res.writeHead(400).end();
    }
    if (parsed.id !== id) receiver.malformed++;
    if (++receiver.accepted % VERIFY_EVERY === 0) {
      try {
        new Webhook(receiver.secrets.get(path)!).verify(body, req.headers as Record<string, string>);
        receiver.verified++;
      } catch {
        receiver.badSignatures++;
      }
    }
    const byId = receiver.arrivals.get(path) ?? new Map<string, Arrival>();
    receiver.arrivals.set(path, byId);
    const seen = byId.get(id);
    if (seen) seen.count++;
    else
      byId.set(id, {
        type: parsed.type,
        deviceId: parsed.data.device?.id ?? 0,
        createdAt: Date.parse(parsed.created_at),
        first: at,
        count: 1,
      });
    res.writeHead(200).end();
  });
});

/** The `device.offline` deliveries of a storm (events created since `sinceWall`) to these endpoints. */
function storm(paths: string[], sinceWall: number) {
  const firsts: number[] = [];
  let duplicates = 0;
  const devicesPerEndpoint: number[] = [];
  for (const p of paths) {
    const devices = new Set<number>();
    for (const a of receiver.arrivals.get(p)?.values() ?? [])
      if (a.type === 'device.offline' && a.createdAt >= sinceWall) {
        firsts.push(a.first);
        duplicates += a.count - 1;
        devices.add(a.deviceId);
      }
    devicesPerEndpoint.push(devices.size);
  }
  return { firsts, duplicates, devicesPerEndpoint };
}

/** None of these endpoints has a pending delivery left (nothing in flight or due later), nor a failed one. */
async function settled(api: Api, token: string, ids: number[]) {
  for (const id of ids)
    for (const status of ['pending', 'failed'])
      if (
        (await api('GET', `/api/v1/merchants/webhooks/${id}/deliveries?status=${status}&limit=1`, token)).items.length
      )
        return false;
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
interface Tenant {
  label: string;
  merchantToken: string;
  devices: { id: number; token: string }[];
  endpointIds: number[];
  paths: string[];
  sockets: Socket[];
  offlineAt: Map<number, number>; // device id → when the dashboard got device:offline (this storm)
  dash: Socket;
}

async function main() {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const hub = await startBenchServer({
    PAIRINGS_PER_MINUTE: '1000000',
    SOCKET_MAX_PER_ADDRESS: '1000000',
    SOCKET_CONNECTS_PER_MINUTE: '1000000',
    WEBHOOK_ALLOW_PRIVATE: 'true',
  });
  const { api, url } = hub;
  const tenants: Tenant[] = [];
  const db = process.env.DATABASE_URL ? 'MariaDB' : 'SQLite';
  const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ');

  const tenant = async (label: string, endpoints: number): Promise<Tenant> => {
    const { admin, merchant, store, merchantToken } = await benchMerchant(api, `Webhooks ${label}`);
    const stores = await benchStores(api, admin, merchant.id, store, Math.ceil(TABLETS / 100));
    const me = (await api('GET', '/api/v1/auth/me', merchantToken)).user.id as number;
    const devices = await bulkPair({
      dataDir: hub.dataDir,
      merchantId: merchant.id,
      actorId: me,
      stores,
      from: 0,
      to: TABLETS,
      out: [],
    });
    const endpointIds: number[] = [];
    const paths: string[] = [];
    for (let i = 0; i < endpoints; i++) {
      const path = `/m${merchant.id}/e${i}`;
      const r = await api('POST', '/api/v1/merchants/webhooks', merchantToken, {
        url: receiverUrl + path,
        events: [EVENTS],
        description: `bench ${label} #${i}`,
      });
      receiver.secrets.set(path, r.secret);
      endpointIds.push(r.webhook.id);
      paths.push(path);
    }
    const dash = io(`${url}/dashboard`, { transports: ['websocket'], forceNew: true, auth: { token: merchantToken } });
    await new Promise((resolve, reject) =>
      dash.once('connect', () => resolve(undefined)).once('connect_error', reject),
    );
    const t: Tenant = { label, merchantToken, devices, endpointIds, paths, sockets: [], offlineAt: new Map(), dash };
    dash.on('device:offline', ({ device }: { device: { id: number } }) => {
      if (!t.offlineAt.has(device.id)) t.offlineAt.set(device.id, now());
    });
    tenants.push(t);
    return t;
  };

  /** Every tablet connected (its `session` received), 100 handshakes in flight. */
  const connectAll = async (t: Tenant) => {
    t.sockets = [];
    let next = 0;
    const t0 = now();
    await Promise.all(
      Array.from({ length: OPEN }, async () => {
        while (next < t.devices.length) {
          const d = t.devices[next++];
          await new Promise<void>((resolve, reject) => {
            const s = io(`${url}/devices`, {
              auth: { token: d.token },
              transports: ['websocket'],
              reconnection: false,
              forceNew: true,
              timeout: 60_000,
            });
            t.sockets.push(s);
            s.once('session', () => resolve());
            s.once('connect_error', reject);
          });
        }
      }),
    );
    const ms = now() - t0;
    await sleep(2000); // the online transitions announced and their batch flushed before the storm
    return ms;
  };

  /** All tablets disconnect at once; t0 (performance.now and wall clock) and when the dashboard had them all. */
  const disconnectAll = async (t: Tenant) => {
    t.offlineAt.clear();
    const wall = Date.now();
    const t0 = now();
    for (const s of t.sockets) s.disconnect();
    await until(`${t.label}: dashboard device:offline`, () => t.offlineAt.size >= t.devices.length);
    const announcedMs = Math.max(...t.offlineAt.values()) - t0;
    return { t0, wall, announcedMs };
  };

  /** Waits for E × TABLETS distinct deliveries of the storm, then for the server to have none pending. */
  const delivered = async (t: Tenant, s: { t0: number; wall: number }) => {
    const expected = t.paths.length * t.devices.length;
    await until(`${t.label}: ${expected} deliveries`, () => storm(t.paths, s.wall).firsts.length >= expected, 100);
    const firsts = storm(t.paths, s.wall)
      .firsts.map((f) => f - s.t0)
      .sort((a, b) => a - b);
    await until(`${t.label}: none pending`, () => settled(api, t.merchantToken, t.endpointIds), 1000);
    const { duplicates, devicesPerEndpoint } = storm(t.paths, s.wall); // after settling: late duplicates included
    if (devicesPerEndpoint.some((n) => n !== t.devices.length))
      throw new Error(`${t.label}: an endpoint missed a device: ${devicesPerEndpoint.join(', ')}`);
    return { expected, firsts, duplicates, allMs: firsts[firsts.length - 1] };
  };

  const rows: string[] = [];
  const row = (cells: (string | number)[]) => rows.push(`| ${stamp} | ${db} | ${cells.join(' | ')} |`);
  let sigFrom = { ok: 0, bad: 0 };
  /** Signatures checked since the last call: verified / sampled. */
  const sig = () => {
    const ok = receiver.verified - sigFrom.ok;
    const bad = receiver.badSignatures - sigFrom.bad;
    sigFrom = { ok: receiver.verified, bad: receiver.badSignatures };
    return `${ok}/${ok + bad}`;
  };
  try {
    console.log(
      `${db}; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}; ${TABLETS} tablets per merchant; endpoints ${ENDPOINTS.join(', ')} subscribed to ["${EVENTS}"]; WEBHOOK_POLL_MS ${process.env.WEBHOOK_POLL_MS ?? 'default (1000)'}`,
    );

    // Baseline: the storm without an endpoint.
    {
      const t = await tenant('baseline', 0);
      const connectMs = await connectAll(t);
      const s = await disconnectAll(t);
      console.log(
        `baseline (no endpoint): ${TABLETS} connected in ${secs(connectMs)}; all ${TABLETS} offline announced on the dashboard ${secs(s.announcedMs)} after the disconnects`,
      );
      row(['baseline: no endpoint', `${TABLETS} × 0`, secs(s.announcedMs), '—', '—', '—', '—', '—', '—']);
      t.dash.close();
    }

    let last: Tenant | undefined;
    for (const E of ENDPOINTS) {
      const t = await tenant(`E${E}`, E);
      const connectMs = await connectAll(t);
      const s = await disconnectAll(t);
      const d = await delivered(t, s);
      const rate = d.expected / (d.allMs / 1000);
      const signatures = sig();
      console.log(
        `${E} endpoint(s): ${TABLETS} connected in ${secs(connectMs)}; offline announced in ${secs(s.announcedMs)}; ` +
          `${d.expected} deliveries, first after ${secs(d.firsts[0])}, all after ${secs(d.allMs)} (${rate.toFixed(0)}/s from t0, ` +
          `${((d.expected - 1) / ((d.allMs - d.firsts[0]) / 1000)).toFixed(0)}/s from the first); ` +
          `delay p50 ${secs(pct(d.firsts, 0.5))} p99 ${secs(pct(d.firsts, 0.99))}; duplicates ${d.duplicates}; signatures ${signatures} verified`,
      );
      row([
        `storm, ${E} endpoint${E > 1 ? 's' : ''}`,
        `${TABLETS} × ${E}`,
        secs(s.announcedMs),
        secs(d.allMs),
        rate.toFixed(0),
        `${secs(pct(d.firsts, 0.5))} / ${secs(pct(d.firsts, 0.99))}`,
        '—',
        d.duplicates,
        signatures,
      ]);
      if (E === OUTAGE_ENDPOINTS) last = t;
      else t.dash.close();
    }

    // The outage: receiver down for DOWN_S while the tablets of `last` go offline once more.
    if (last && DOWN_S > 0) {
      const t = last;
      await connectAll(t);
      const refusedBefore = receiver.refused;
      receiver.down = true;
      const tDown = now();
      const s = await disconnectAll(t);
      await sleep(Math.max(0, tDown + DOWN_S * 1000 - now()));
      const arrivedWhileDown = storm(t.paths, s.wall).firsts.length;
      const refusedWhileDown = receiver.refused - refusedBefore;
      receiver.down = false;
      const tUp = now();
      const d = await delivered(t, s);
      const backMs = t0Relative(d.allMs, s.t0, tUp);
      const afterBack = d.firsts.map((f) => f + s.t0 - tUp);
      const signatures = sig();
      console.log(
        `outage, ${t.paths.length} endpoint(s): receiver answered 503 for ${DOWN_S} s (${refusedWhileDown} attempts refused, ` +
          `${(refusedWhileDown / d.expected).toFixed(2)} per delivery; ${arrivedWhileDown} accepted meanwhile); offline announced in ${secs(s.announcedMs)}; ` +
          `back: all ${d.expected} delivered ${secs(backMs)} later (${secs(d.allMs)} after the disconnects), ` +
          `p50 ${secs(pct(afterBack, 0.5))} after back; duplicates ${d.duplicates}; signatures ${signatures} verified`,
      );
      row([
        `outage: 503 for ${DOWN_S} s, ${t.paths.length} endpoint${t.paths.length > 1 ? 's' : ''}`,
        `${TABLETS} × ${t.paths.length}`,
        secs(s.announcedMs),
        secs(d.allMs),
        '—',
        '—',
        `${secs(backMs)} (p50 ${secs(pct(afterBack, 0.5))}; ${refusedWhileDown} × 503)`,
        d.duplicates,
        signatures,
      ]);
    }
    if (receiver.badSignatures || receiver.malformed)
      throw new Error(`${receiver.badSignatures} bad signatures, ${receiver.malformed} malformed deliveries`);
    for (const r of rows) recordResult('webhooks.ts', r);
  } finally {
    for (const t of tenants) {
      for (const s of t.sockets) s.close();
      t.dash.close();
    }
    hub.stop();
    server.close();
    server.closeAllConnections();
  }
}

/** A time measured from t0 (the disconnects), measured from `from` instead. */
const t0Relative = (ms: number, t0: number, from: number) => ms + t0 - from;

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
