import { decodeJwt } from 'jose';
import type { Counter } from 'prom-client';
import type { Namespace, Server, Socket } from 'socket.io';
import { In } from 'typeorm';
import { z } from 'zod';
import type { UserPrincipal } from '../auth/tokens';
import type { AppContext } from '../context';
import { TerminalDevice } from '../devices/entities';
import { presentDevice, type DeviceView } from '../devices/presenter';
import { AppError, notFound } from '../errors';
import { authenticateSockets, socketError } from './handshake';
import type { LastSeen } from './last-seen';
import { runAt } from './run-at';

export type DashboardEvent =
  | 'device:paired'
  | 'device:updated'
  | 'device:revoked'
  | 'device:online'
  | 'device:offline'
  | 'device:expiring';
export type OfflineReason =
  | 'client_disconnect'
  | 'ping_timeout'
  | 'revoked'
  | 'expired'
  | 'server_shutdown'
  | 'node_lost'
  | 'reissued';

const merchantRoom = (merchantId: number) => `merchant:${merchantId}`;
const subscribeBody = z.strictObject({ merchant_id: z.number().int().positive() });
/** The subscribe ack lists the newest devices, like GET …/devices?limit=500, with the total. */
const ACK_LIMIT = 500;

/**
 * Dashboard events, sent to the merchant's room through the adapter (so every node's dashboards get them):
 * `{device}` with the full presented Device, plus `reason` for `device:offline`.
 */
export class DashboardFeed {
  constructor(
    private readonly nsp: Namespace,
    private readonly ctx: AppContext,
    private readonly unwrittenLastSeen: (deviceId: number) => LastSeen | undefined,
  ) {}

  /** `online` overrides the presence lookup for the transitions this node has just decided. */
  async send(
    event: DashboardEvent,
    rows: TerminalDevice[],
    opts: { online?: boolean; reason?: OfflineReason } = {},
  ): Promise<void> {
    const views = await this.ctx.devices.views(rows);
    this.emit(
      event,
      views.map((v) => ({ ...v, online: opts.online ?? v.online })),
      opts.reason,
    );
  }

  /** Emits views the caller already has (a connecting socket knows its store code and that it is online). */
  emit(event: DashboardEvent, views: DeviceView[], reason?: OfflineReason): void {
    for (const view of views) {
      const d = view.device;
      const seen = this.unwrittenLastSeen(d.id);
      const fresh =
        seen && (!d.lastSeenAt || seen.at > d.lastSeenAt) ? { ...d, lastSeenAt: seen.at, lastSeenIp: seen.ip } : d;
      const device = presentDevice({ ...view, device: fresh }, this.ctx.config.expiryWarningDays);
      this.nsp.to(merchantRoom(device.merchant_id)).emit(event, reason ? { device, reason } : { device });
    }
  }

  async sendByIds(
    event: DashboardEvent,
    deviceIds: number[],
    opts: { online?: boolean; reason?: OfflineReason },
  ): Promise<void> {
    const repo = this.ctx.db.getRepository(TerminalDevice);
    for (let i = 0; i < deviceIds.length; i += 500) {
      await this.send(event, await repo.findBy({ id: In(deviceIds.slice(i, i + 500)) }), opts);
    }
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
  ctx: AppContext,
  handshakes: Counter,
  unwrittenLastSeen: (id: number) => LastSeen | undefined,
): DashboardFeed {
  const nsp = io.of('/dashboard');
  const connected = ctx.metrics.gauge('realtime_dashboard_sockets', 'Dashboard sockets connected to this node');

  authenticateSockets(nsp, { tokens: ctx.tokens, logger: ctx.logger, handshakes }, (principal, token, socket) => {
    if (principal.kind !== 'user' || principal.role === 'store_staff') throw new AppError('FORBIDDEN');
    socket.data.user = principal;
    socket.data.expiresAt = new Date(Number(decodeJwt(token).exp) * 1000);
  });

  nsp.on('connection', (socket: Socket) => {
    const user: UserPrincipal = socket.data.user;
    if (user.role === 'merchant' && user.merchantId) void socket.join(merchantRoom(user.merchantId));
    connected.inc();
    const cancelExpiry = runAt(socket.data.expiresAt, () => {
      socket.emit('expired', socketError(new AppError('TOKEN_EXPIRED'), ctx.logger));
      socket.disconnect(true);
    });
    socket.on('disconnect', () => {
      connected.dec();
      cancelExpiry();
    });

    socket.on('subscribe', async (payload: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      try {
        const { merchant_id: merchantId } = subscribeBody.parse(payload);
        if (user.role === 'admin') await ctx.tenancy.getMerchant(merchantId);
        else if (merchantId !== user.merchantId) throw notFound();
        for (const room of socket.rooms) if (room.startsWith('merchant:')) void socket.leave(room);
        void socket.join(merchantRoom(merchantId));
        const { items, total } = await ctx.devices.list(merchantId, { limit: ACK_LIMIT, offset: 0 });
        ack({ items: items.map((v) => presentDevice(v, ctx.config.expiryWarningDays)), total });
      } catch (err) {
        ack({ error: socketError(err, ctx.logger) });
      }
    });
  });

  return new DashboardFeed(nsp, ctx, unwrittenLastSeen);
}
