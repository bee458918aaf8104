import { decodeJwt } from 'jose';
import type { Namespace, Server } from 'socket.io';
import { z } from 'zod';
import type { UserPrincipal } from '../auth/principals';
import type { DeviceCommand } from '../commands/entities';
import { presentCommand } from '../commands/presenter';
import type { Services } from '../context';
import type { DeviceView } from '../devices/domain';
import type { TerminalDevice } from '../devices/entities';
import { presentDevice } from '../devices/presenter';
import type { LastSeen } from '../devices/service';
import { AppError, withDeadline } from '../errors';
import type { EventLimiter } from './event-limit';
import { authenticateSockets, type HandshakeDeps, socketError } from './handshake';
import { runAt } from './run-at';
import type {
  DashboardClientEvents,
  DashboardDeviceEvent,
  DashboardServerEvents,
  OfflineReason,
  SubscribeAck,
} from './socket-events';

interface DashboardSocketData {
  user: Exclude<UserPrincipal, { role: 'store_staff' }>;
  /** When the user token expires: the socket is dropped then, as REST would refuse it. */
  expiresAt: Date;
}

type DashboardNamespace = Namespace<DashboardClientEvents, DashboardServerEvents, object, DashboardSocketData>;

const merchantRoom = (merchantId: number) => `merchant:${merchantId}`;
const subscribeBody = z.strictObject({ merchant_id: z.number().int().positive() });
/** The subscribe ack lists the newest devices, like GET …/devices?limit=500, with the total. */
const ACK_LIMIT = 500;

type Deps = Pick<Services, 'config' | 'logger' | 'metrics' | 'tokens' | 'devices' | 'policy'>;

/**
 * Dashboard events, sent to the merchant's room through the adapter (so every node's dashboards get them):
 * `{device}` with the full presented Device, plus `reason` for `device:offline`.
 */
export class DashboardFeed {
  constructor(
    private readonly nsp: DashboardNamespace,
    private readonly deps: Deps,
    private readonly unwrittenLastSeen: (deviceId: number) => LastSeen | undefined,
  ) {}

  /** `online` overrides the presence lookup for the transitions this node has just decided. */
  async send(event: DashboardDeviceEvent, rows: TerminalDevice[], opts: { online?: boolean } = {}): Promise<void> {
    const views = await this.deps.devices.views(rows);
    this.emit(
      event,
      views.map((v) => ({ ...v, online: opts.online ?? v.online })),
    );
  }

  /** Emits views the caller already has (a connecting socket knows its store code and that it is online). */
  emit(event: DashboardDeviceEvent, views: DeviceView[], reason?: OfflineReason): void {
    for (const view of views) {
      const d = view.device;
      const seen = this.unwrittenLastSeen(d.id);
      const fresh =
        seen && (!d.lastSeenAt || seen.at > d.lastSeenAt) ? { ...d, lastSeenAt: seen.at, lastSeenIp: seen.ip } : d;
      const device = presentDevice({ ...view, device: fresh }, this.deps.config.expiryWarningDays);
      const room = this.nsp.to(merchantRoom(device.merchant_id));
      if (event === 'device:offline') room.emit(event, { device, reason: reason ?? 'client_disconnect' });
      else room.emit(event, { device });
    }
  }

  /** `command:updated {command}` to the command's merchant. */
  commandUpdated(command: DeviceCommand): void {
    this.nsp.to(merchantRoom(command.merchantId)).emit('command:updated', { command: presentCommand(command) });
  }

  /** Announces devices known by id only (presence transitions), read in chunks. */
  async sendByIds(event: DashboardDeviceEvent, deviceIds: number[], opts: { online: boolean; reason?: OfflineReason }) {
    const views = await this.deps.devices.viewsByIds(deviceIds);
    this.emit(
      event,
      views.map((v) => ({ ...v, online: opts.online })),
      opts.reason,
    );
  }
}

/**
 * `/dashboard`: user tokens only (a device token is FORBIDDEN; store staff too, they cannot manage devices).
 * A merchant user is in its merchant's room from the start; an admin sends `subscribe {merchant_id}` to watch one
 * merchant (a merchant may send it for its own merchant). The ack is `{items: [Device], total}` or `{error}`.
 * The socket is dropped when the user token expires (`expired {code: "TOKEN_EXPIRED"}` first).
 */
export function dashboardNamespace(
  io: Server,
  deps: Deps,
  door: Pick<HandshakeDeps, 'handshakes' | 'guard' | 'timeoutMs'> & { events: EventLimiter },
  unwrittenLastSeen: (id: number) => LastSeen | undefined,
): DashboardFeed {
  const { policy, devices, logger, config } = deps;
  const nsp: DashboardNamespace = io.of('/dashboard');
  const connected = deps.metrics.gauge('realtime_dashboard_sockets', 'Dashboard sockets connected to this node');

  authenticateSockets(nsp, { tokens: deps.tokens, logger, ...door }, (principal, token) => {
    if (!policy.canWatchDevices(principal)) throw new AppError('FORBIDDEN');
    return { user: principal, expiresAt: new Date(Number(decodeJwt(token).exp) * 1000) };
  });

  nsp.on('connection', (socket) => {
    const { user } = socket.data;
    if (user.role === 'merchant') void socket.join(merchantRoom(user.merchantId));
    connected.inc();
    door.events.apply(socket, nsp.name);
    const cancelExpiry = runAt(socket.data.expiresAt, () => {
      socket.emit('expired', socketError(new AppError('TOKEN_EXPIRED'), logger));
      socket.disconnect(true);
    });
    socket.on('disconnect', () => {
      connected.dec();
      cancelExpiry();
    });

    socket.on('subscribe', async (payload: unknown, ack: (answer: SubscribeAck) => void) => {
      if (typeof ack !== 'function') return;
      try {
        const merchantId = await withDeadline(
          policy.dashboardMerchant(user, subscribeBody.parse(payload).merchant_id),
          door.timeoutMs,
        );
        for (const room of socket.rooms) if (room.startsWith('merchant:')) void socket.leave(room);
        void socket.join(merchantRoom(merchantId));
        const list = devices.list(merchantId, { limit: ACK_LIMIT, offset: 0 });
        const { items, total } = await withDeadline(list, door.timeoutMs);
        ack({ items: items.map((v) => presentDevice(v, config.expiryWarningDays)), total });
      } catch (err) {
        ack({ error: socketError(err, logger) });
      }
    });
  });

  return new DashboardFeed(nsp, deps, unwrittenLastSeen);
}
