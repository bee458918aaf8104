import type http from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Server } from 'socket.io';
import type { Config } from '../config';
import type { Services } from '../context';
import { AppError, errorBody } from '../errors';
import type { Logger } from '../logger';
import { dashboardNamespace, type DashboardFeed } from './dashboard';
import { type DevicesChannel, devicesNamespace } from './devices';
import { ConnectionGuard, closeSockets } from './connections';
import { EventLimiter } from './event-limit';

import { LastSeenBatcher } from './last-seen';
import { LocalPresence, RedisPresence, type PresenceRegistry } from './presence-registry';
import { REDIS_PREFIX, type RedisConnections } from './redis';
import { runAt } from './run-at';

export interface Realtime {
  /** Cluster-wide presence (Redis) or this process's (no REDIS_URL); DeviceService reads `online` from it. */
  presence: PresenceRegistry;
  /** Starts Socket.IO on the HTTP server: namespaces, domain-event listeners, heartbeats. */
  attach(httpServer: http.Server, services: Services): Promise<void>;
  /**
   * Shutdown, in order: this node's devices go offline on every dashboard (`server_shutdown`), Socket.IO closes,
   * the last_seen batcher flushes, heartbeats stop. The Redis connections belong to the caller.
   */
  close(step?: (done: string) => void): Promise<void>;
}

/** Built before DeviceService (which needs `presence`), attached once the HTTP server exists. With `redis`: cluster mode. */
export function createRealtime(config: Config, logger: Logger, redis?: RedisConnections): Realtime {
  const presence = redis ? new RedisPresence(redis.cmd, config.presenceTtlMs, logger) : new LocalPresence();
  let running: { io: Server; lastSeen: LastSeenBatcher; feed: DashboardFeed; devices: DevicesChannel } | undefined;
  let closing = false;
  /** Per renewed device, the timer that drops its previous token's sockets when the grace ends (cancel function). */
  const graceTimers = new Map<number, () => void>();

  return {
    presence,

    async attach(httpServer, services) {
      const { metrics } = services;
      const guard = new ConnectionGuard(
        {
          trustProxy: config.trustProxy,
          maxPerAddress: config.socketMaxPerAddress,
          connectsPerMinute: config.socketConnectsPerMinute,
        },
        metrics.counter('realtime_connections_refused_total', 'Connections refused before any work, by reason', [
          'reason',
        ]),
      );
      const io = new Server(httpServer, {
        allowRequest: guard.allowRequest,
        // A connection that has joined no namespace (refused, or never asked) is closed after this long.
        connectTimeout: 5000,
        serveClient: true, // the pages load /socket.io/socket.io.min.js
        maxHttpBufferSize: 16 * 1024,
        perMessageDeflate: false,
        httpCompression: false,
        pingInterval: config.socketPingIntervalMs,
        pingTimeout: config.socketPingTimeoutMs,
        cleanupEmptyChildNamespaces: true,
        ...(redis ? { adapter: createAdapter(redis.pub, redis.sub, { key: `${REDIS_PREFIX}socket.io` }) } : {}),
      });
      guard.attach(io);
      // Only /devices and /dashboard: the main namespace refuses everyone (unknown ones are refused by Socket.IO).
      io.of('/').use((_socket, next) =>
        next(Object.assign(new Error('NOT_FOUND'), { data: errorBody(new AppError('NOT_FOUND'), 'en') })),
      );

      const door = {
        guard,
        timeoutMs: config.requestTimeoutMs,
        handshakes: metrics.counter(
          'realtime_handshakes_total',
          'Socket handshakes by namespace and outcome (ok or the error code)',
          ['namespace', 'outcome'],
        ),
        events: new EventLimiter(
          config.socketEventsPerSecond,
          logger,
          metrics.counter('realtime_events_limited_total', 'Client events refused as RATE_LIMITED', ['namespace']),
        ),
      };
      const reaped = services.metrics.counter(
        'realtime_presence_reaped_devices_total',
        "Devices turned offline because their node's heartbeat expired",
      );
      const lastSeen = new LastSeenBatcher(services.devices, config.lastSeenFlushMs, services.metrics, logger);
      const feed = dashboardNamespace(io, services, door, (id) => lastSeen.peek(id));
      const devices = devicesNamespace(io, services, {
        presence,
        lastSeen,
        feed,
        door,
        cluster: Boolean(redis),
        closing: () => closing,
        backOnline: (deviceId, offlineSince) => services.alerts.backOnline(deviceId, offlineSince),
      });
      running = { io, lastSeen, feed, devices };

      const on = services.events.on.bind(services.events);
      const live =
        <A extends unknown[]>(fn: (...a: A) => Promise<void> | void) =>
        async (...a: A) => {
          if (!closing) await fn(...a);
        };
      on(
        'device.offline_alert',
        live(async ({ device, offlineSince }) => {
          devices.alerted(device);
          await feed.offlineAlert(device, offlineSince);
        }),
      );
      on(
        'device.paired',
        live(({ device }) => feed.send('device:paired', [device])),
      );
      on(
        'device.updated',
        live(({ device }) => feed.send('device:updated', [device])),
      );
      on(
        'device.revoked',
        live(async ({ device, view }) => {
          devices.revoked(device); // the sockets first; the dashboard event needs a read
          feed.emit('device:revoked', [await view()]);
        }),
      );
      on(
        'device.reissued',
        live(async ({ device, previousJti }) => {
          devices.reissued(device.id, previousJti);
          await feed.send('device:updated', [device]);
        }),
      );
      // A renewal: dashboards see the new expiry; the previous token's sockets are dropped when its grace ends
      // (timer on the node that renewed) or at the first use of the new token (on whichever node sees it).
      on(
        'device.renewed',
        live(async ({ device, previousJti }) => {
          await feed.send('device:updated', [device]);
          if (!device.previousJtiUntil) return;
          graceTimers.get(device.id)?.();
          graceTimers.set(
            device.id,
            runAt(device.previousJtiUntil, () => {
              graceTimers.delete(device.id);
              if (!closing) devices.reissued(device.id, previousJti);
            }),
          );
        }),
      );
      on(
        'device.previous_token_retired',
        live(({ device, previousJti }) => {
          graceTimers.get(device.id)?.();
          graceTimers.delete(device.id);
          devices.reissued(device.id, previousJti);
        }),
      );
      on(
        'command.created',
        live(({ command }) => devices.deliver(command)),
      );
      on(
        'command.updated',
        live(({ command }) => feed.commandUpdated(command)),
      );
      on(
        'device.expiring',
        live(async ({ device }) => {
          devices.sendExpiring(device);
          await feed.send('device:expiring', [device]);
        }),
      );

      await presence
        .start({
          lost: (ids) => {
            reaped.inc(ids.length);
            void feed
              .sendByIds('device:offline', ids, { online: false, reason: 'node_lost' })
              .catch((err) => logger.error({ err }, 'node_lost announcement failed'));
          },
          restored: (ids) =>
            void feed
              .sendByIds('device:online', ids, { online: true })
              .catch((err) => logger.error({ err }, 'presence restore announcement failed')),
        })
        .catch((err: Error) => {
          throw new Error(`cannot write presence to Redis (REDIS_URL): ${err.message}`);
        });
    },

    async close(step = () => undefined) {
      if (closing) return;
      closing = true;
      for (const cancel of graceTimers.values()) cancel();
      graceTimers.clear();
      if (running) {
        const { io, lastSeen, feed, devices } = running;
        await devices.idle();
        try {
          await feed.sendByIds('device:offline', await presence.leave(), { online: false, reason: 'server_shutdown' });
        } catch (err) {
          logger.error({ err }, 'could not announce this node going away');
        }
        step('announce');
        await closeSockets(io); // also stops the HTTP listener; the caller closes the remaining HTTP connections
        step('sockets');
        await lastSeen.close();
        step('lastSeen');
      }
    },
  };
}
