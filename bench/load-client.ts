/**
 * The load generator of the socket benches: one process holding many `/devices` sockets (socket.io-client,
 * websocket only, one Manager per socket, no reconnection), driven over IPC. Start it with
 * harness.spawnLoadClient(LOAD_CLIENT) (its open-file limit raised); it says `ready`, then on `connect` opens
 * `auths.length` sockets with `concurrency` handshakes in flight, each ready at `session` (the hub) or `connect`,
 * reports `connected`, relays every `revoked` (and, with `relayDrops`, every disconnect) with its tablet's index.
 */
import path from 'node:path';
import { io, type Socket as ClientSocket } from 'socket.io-client';

export const LOAD_CLIENT = path.join(__dirname, 'load-client.ts');

export type ToClient =
  | {
      type: 'connect';
      url: string;
      /** The handshake's `auth` of each socket (`{token}` for the hub). */
      auths: Record<string, unknown>[];
      concurrency: number;
      /** The index of auths[0] among all tablets (relayed events carry the overall index). */
      first: number;
      localAddress?: string;
      ready?: 'session' | 'connect';
      relayDrops?: boolean;
    }
  | { type: 'stats' }
  | { type: 'close' };

export type FromClient =
  | { type: 'ready' }
  | {
      type: 'connected';
      ok: number;
      failed: number;
      errors: Record<string, number>;
      start: number;
      end: number;
      latencies: number[];
    }
  | { type: 'revoked'; index: number; at: number }
  | { type: 'dropped'; index: number; at: number; why: string }
  | { type: 'stats'; open: number; disconnects: Record<string, number> };

const now = () => performance.timeOrigin + performance.now();

function loadClient() {
  const sockets: ClientSocket[] = [];
  const disconnects: Record<string, number> = {};
  const send = (m: FromClient) => process.send!(m);
  process.on('disconnect', () => process.exit(0)); // the orchestrator is gone
  process.on('message', async (m: ToClient) => {
    if (m.type === 'close') {
      for (const s of sockets) s.disconnect();
      setTimeout(() => process.exit(0), 200);
    } else if (m.type === 'stats') {
      send({ type: 'stats', open: sockets.filter((s) => s.connected).length, disconnects });
    } else if (m.type === 'connect') {
      const errors: Record<string, number> = {};
      const latencies: number[] = [];
      let next = 0;
      let failed = 0;
      const start = now();
      const one = (i: number) =>
        new Promise<void>((resolve) => {
          const t0 = now();
          const s = io(`${m.url}/devices`, {
            transports: ['websocket'],
            forceNew: true,
            reconnection: false,
            timeout: 60_000,
            auth: m.auths[i],
            ...(m.localAddress ? { localAddress: m.localAddress } : {}),
          });
          sockets.push(s);
          s.once(m.ready ?? 'session', () => {
            latencies.push(now() - t0);
            resolve();
          });
          s.once('connect_error', (err: Error & { data?: { code?: string } }) => {
            const key = err.data?.code ?? err.message;
            errors[key] = (errors[key] ?? 0) + 1;
            failed++;
            resolve();
          });
          s.on('revoked', () => send({ type: 'revoked', index: m.first + i, at: now() }));
          s.on('disconnect', (why) => {
            disconnects[why] = (disconnects[why] ?? 0) + 1;
            if (m.relayDrops) send({ type: 'dropped', index: m.first + i, at: now(), why });
          });
        });
      await Promise.all(
        Array.from({ length: Math.min(m.concurrency, m.auths.length) }, async () => {
          while (next < m.auths.length) await one(next++);
        }),
      );
      send({ type: 'connected', ok: latencies.length, failed, errors, start, end: now(), latencies });
    }
  });
  send({ type: 'ready' });
}

/** The next message of that type from a load client (rejects after timeoutMs). */
export const nextMessage = <T extends FromClient['type']>(
  child: {
    on(e: 'message', f: (m: FromClient) => void): unknown;
    off(e: 'message', f: (m: FromClient) => void): unknown;
  },
  type: T,
  timeoutMs: number,
) =>
  new Promise<Extract<FromClient, { type: T }>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`load client: no ${type} within ${timeoutMs} ms`)), timeoutMs);
    const on = (m: FromClient) => {
      if (m.type !== type) return;
      clearTimeout(timer);
      child.off('message', on);
      resolve(m as Extract<FromClient, { type: T }>);
    };
    child.on('message', on);
  });

if (require.main === module) loadClient();
