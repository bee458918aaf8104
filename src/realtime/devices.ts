import type { Namespace, Server, Socket } from 'socket.io';
import type { Services } from '../context';
import { daysLeft, isExpiringSoon } from '../devices/domain';
import type { TerminalDevice } from '../devices/entities';
import type { DeviceCommand } from '../commands/entities';
import { type DeviceState, stateReport } from '../devices/schemas';
import { AppError, withDeadline } from '../errors';
import { CommandChannel } from './command-channel';
import type { DashboardFeed } from './dashboard';
import type { EventLimiter } from './event-limit';
import { authenticateSockets, clientIp, type HandshakeDeps, socketError } from './handshake';
import { KeyedQueue } from './keyed-queue';
import type { LastSeenBatcher } from './last-seen';
import type { PresenceRegistry } from './presence-registry';
import { runAt } from './run-at';
import type { DeviceClientEvents, DeviceServerEvents, OfflineReason, RevokedPayload, StateAck } from './socket-events';

interface DeviceSocketData {
  device: TerminalDevice;
  storeCode: string;
  ip: string | null;
  /** Set when the server drops the socket, so the offline event names why. */
  dropReason?: OfflineReason;
  /** Whether presence counts this socket (it is not counted if dropped before it was recorded). */
  counted?: boolean;
  /** The device's full state as this socket knows it (the row at the handshake, then the reports). */
  state?: DeviceState;
}

/** A server-side drop: `revoked` (revoke) or `reissued` (the token was replaced). */
type Drop = { room: string; reason: RevokedPayload['reason']; revokedReason: string | null };

/** Between nodes, through the adapter. */
export interface DevicesInterServerEvents {
  drop: (drop: Drop) => void;
  /** A command was stored: the node holding the device's socket delivers it. */
  command: (commandId: number) => void;
}

export type DevicesNamespace = Namespace<
  DeviceClientEvents,
  DeviceServerEvents,
  DevicesInterServerEvents,
  DeviceSocketData
>;
export type DeviceSocket = Socket<DeviceClientEvents, DeviceServerEvents, DevicesInterServerEvents, DeviceSocketData>;

const rooms = {
  device: (id: number) => `device:${id}`,
  store: (id: number) => `store:${id}`,
  merchant: (id: number) => `merchant:${id}`,
  jti: (jti: string) => `jti:${jti}`,
};

export interface DevicesChannel {
  /** Emits `revoked {reason: "revoked", revoked_reason}` to every socket of the device and disconnects them, on every node. */
  revoked(device: TerminalDevice): void;
  /** The same for the sockets of a replaced token, with reason `reissued`. */
  reissued(previousJti: string): void;
  /** `expiring {expires_at, days_left}` to the device's sockets, on every node. */
  sendExpiring(device: TerminalDevice): void;
  /** Delivers a new command to the device's sockets, on every node. */
  deliver(command: DeviceCommand): void;
  /** Resolves when every queued presence transition is done. */
  idle(): Promise<unknown>;
}

/**
 * `/devices`: device tokens only (a user token is INVALID_TOKEN: the wrong kind of token, §3). Each socket joins
 * rooms `device:<id>`, `store:<id>`, `merchant:<id>` and `jti:<jti>` (so a reissue can drop the old token's sockets),
 * receives `session`, counts in presence, and refreshes last_seen on every packet it sends (pongs included).
 */
export function devicesNamespace(
  io: Server,
  services: Pick<Services, 'config' | 'logger' | 'metrics' | 'tokens' | 'devices' | 'commands' | 'events'>,
  deps: {
    presence: PresenceRegistry;
    lastSeen: LastSeenBatcher;
    feed: DashboardFeed;
    door: Pick<HandshakeDeps, 'handshakes' | 'guard' | 'timeoutMs'> & { events: EventLimiter };
    cluster: boolean;
    closing: () => boolean;
  },
): DevicesChannel {
  const { config, logger, metrics, tokens, devices } = services;
  const { presence, lastSeen, feed } = deps;
  const nsp: DevicesNamespace = io.of('/devices');
  const commandChannel = new CommandChannel(nsp, services.commands, logger, deps.cluster);
  const connected = metrics.gauge('realtime_device_sockets', 'Device sockets connected to this node');
  const drops = metrics.counter('realtime_device_drops_total', 'Device sockets dropped by the server, by reason', [
    'reason',
  ]);
  const queue = new KeyedQueue((err) => logger.error({ err }, 'presence update failed'));

  // The token check read the device with its store: the socket keeps the row and the code, nothing more.
  authenticateSockets(nsp, { tokens, logger, ...deps.door }, (principal, _token, socket) => {
    if (principal.kind !== 'device') throw new AppError('INVALID_TOKEN');
    return { device: principal.device, storeCode: principal.store.code, ip: clientIp(socket) };
  });

  const dropSocket = (socket: DeviceSocket, reason: OfflineReason, send: () => void) => {
    socket.data.dropReason = reason;
    send();
    socket.disconnect(true);
    drops.inc({ reason });
  };
  const revokeSocket = (socket: DeviceSocket, reason: Drop['reason'], revokedReason: string | null) =>
    dropSocket(socket, reason, () => socket.emit('revoked', { reason, revoked_reason: revokedReason }));
  const dropHere = ({ room, reason, revokedReason }: Drop) => {
    for (const id of nsp.adapter.rooms.get(room) ?? []) {
      const socket = nsp.sockets.get(id);
      if (socket) revokeSocket(socket, reason, revokedReason);
    }
  };
  // Other nodes' drops arrive through the adapter. (serverSideEmit rather than disconnectSockets: it carries the
  // reason, so the node holding the socket can tell dashboards why the device went offline.)
  nsp.on('drop', dropHere);

  nsp.on('connection', (socket) => {
    if (deps.closing()) return void socket.disconnect(true);
    const { data } = socket;
    const { device } = data;
    void socket.join([
      rooms.device(device.id),
      rooms.store(device.storeId),
      rooms.merchant(device.merchantId),
      rooms.jti(device.jti),
    ]);
    connected.inc();
    deps.door.events.apply(socket, nsp.name);
    const touch = () => lastSeen.touch(device.id, data.ip);
    touch();
    socket.conn.on('packet', touch);
    const cancelExpiry = runAt(device.expiresAt, () =>
      dropSocket(socket, 'expired', () =>
        socket.emit('expired', socketError(new AppError('TERMINAL_DEVICE_EXPIRED'), logger)),
      ),
    );
    // `session` goes out once presence has recorded the socket: from then on every node sees the device online.
    queue.run(device.id, async () => {
      if (deps.closing() || !socket.connected) return;
      // A revoke or reissue that landed between the token check and joining the rooms found no socket to drop.
      const now = await withDeadline(devices.tokenState(device.id), deps.door.timeoutMs).catch(() => undefined);
      // The database did not answer: no session without the re-check; the tablet reconnects later.
      if (now === undefined) return void socket.disconnect(true);
      if (!now || now.revokedAt || (now.jti !== device.jti && now.previousJti !== device.jti))
        return revokeSocket(socket, now?.revokedAt ? 'revoked' : 'reissued', now?.revokedReason ?? null);
      data.counted = true;
      const cameOnline = await presence.connected(device.id).finally(() =>
        socket.emit('session', {
          device_id: device.id,
          store_code: data.storeCode,
          expires_at: device.expiresAt.toISOString(),
          expiring_soon: isExpiringSoon(device, config.expiryWarningDays),
        }),
      );
      if (cameOnline) feed.emit('device:online', [{ device, storeCode: data.storeCode, online: true }]);
      services.events.emit('device.connected', { device, ip: data.ip });
      await commandChannel.deliverPending(socket);
    });
    commandChannel.listen(socket);

    socket.on('disconnect', (why) => {
      connected.dec();
      cancelExpiry();
      socket.conn.off('packet', touch);
      if (why !== 'ping timeout') touch();
      if (deps.closing() || !data.counted) return; // shutdown announces this node's devices at once
      const reason: OfflineReason = data.dropReason ?? (why === 'ping timeout' ? 'ping_timeout' : 'client_disconnect');
      services.events.emit('device.disconnected', { device, ip: data.ip, reason });
      queue.run(device.id, async () => {
        if (await presence.disconnected(device.id))
          await feed.sendByIds('device:offline', [device.id], { online: false, reason });
      });
    });

    // `state {…}`: validated, merged in memory, written by the next last_seen flush; dashboards get `device:state`.
    socket.on('state', (payload: unknown, ack: (answer: StateAck) => void) => {
      const report = stateReport.safeParse(payload);
      if (!report.success) return void (typeof ack === 'function' && ack({ error: socketError(report.error, logger) }));
      const state: DeviceState = { ...report.data, updated_at: new Date().toISOString() };
      lastSeen.report(device.id, data.ip, state);
      data.state = { ...(data.state ?? device.state), ...lastSeen.peek(device.id)?.state, ...state };
      feed.state(device, data.state);
      if (typeof ack === 'function') ack({ ok: true });
    });
  });

  const drop = (d: Drop) => {
    dropHere(d);
    if (deps.cluster) nsp.serverSideEmit('drop', d);
  };
  return {
    revoked: (device) =>
      drop({ room: rooms.device(device.id), reason: 'revoked', revokedReason: device.revokedReason }),
    reissued: (previousJti) => drop({ room: rooms.jti(previousJti), reason: 'reissued', revokedReason: null }),
    sendExpiring(device) {
      const payload = { expires_at: device.expiresAt.toISOString(), days_left: daysLeft(device) };
      nsp.to(rooms.device(device.id)).emit('expiring', payload);
    },
    deliver: (command) => commandChannel.deliver(command),
    idle: () => queue.idle(),
  };
}
