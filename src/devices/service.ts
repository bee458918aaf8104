import { randomUUID } from 'node:crypto';
import { In, IsNull, LessThanOrEqual, MoreThan, Not, type DataSource, type FindOptionsWhere } from 'typeorm';
import type { Tokens } from '../auth/tokens';
import type { EventBus } from '../events';
import { conflict, notFound } from '../errors';
import type { PresenceReader } from './presence-reader';
import { Store } from '../tenancy/entities';
import { newDeviceRow, TerminalDevice, type DeviceStatus } from './entities';
import type { DeviceView } from './presenter';
import { qrPayload, qrPng } from './qr';

export interface Pairing {
  auth_token: string;
  expires_at: string;
  qr: { payload: string; png_base64: string };
}

export interface DeviceFilter {
  storeId?: number;
  status?: DeviceStatus;
  limit: number;
  offset: number;
}

interface DeviceServiceConfig {
  publicUrl: string;
  deviceTokenTtlMs: number;
}

/**
 * Pairing, listing, renaming, revoking and reissuing terminal devices. Every method takes the merchant id and
 * scopes every query to it: another merchant's device or store is 404, never a hint that it exists.
 */
export class DeviceService {
  constructor(
    private readonly db: DataSource,
    private readonly tokens: Tokens,
    private readonly events: EventBus,
    private readonly config: DeviceServiceConfig,
    private readonly presence: PresenceReader,
  ) {}

  private get repo() {
    return this.db.getRepository(TerminalDevice);
  }

  async list(merchantId: number, f: DeviceFilter): Promise<{ items: DeviceView[]; total: number }> {
    const where: FindOptionsWhere<TerminalDevice> = { merchantId, ...(f.storeId ? { storeId: f.storeId } : {}) };
    const now = new Date();
    if (f.status === 'revoked') where.revokedAt = Not(IsNull());
    if (f.status === 'active') Object.assign(where, { revokedAt: IsNull(), expiresAt: MoreThan(now) });
    if (f.status === 'expired') Object.assign(where, { revokedAt: IsNull(), expiresAt: LessThanOrEqual(now) });
    const [devices, total] = await this.repo.findAndCount({
      where,
      order: { createdAt: 'DESC', id: 'DESC' },
      take: f.limit,
      skip: f.offset,
    });
    return { items: await this.views(devices), total };
  }

  async get(merchantId: number, deviceId: number): Promise<DeviceView> {
    return (await this.views([await this.find(merchantId, deviceId)]))[0];
  }

  /** Views of any devices (for realtime and jobs, which already hold rows of a known merchant). */
  async views(devices: TerminalDevice[]): Promise<DeviceView[]> {
    if (devices.length === 0) return [];
    const storeIds = [...new Set(devices.map((d) => d.storeId))];
    const [stores, online] = await Promise.all([
      this.db.getRepository(Store).find({ where: { id: In(storeIds) }, select: { id: true, code: true } }),
      this.presence.onlineDeviceIds(devices.map((d) => d.id)),
    ]);
    const codes = new Map(stores.map((s) => [s.id, s.code]));
    return devices.map((device) => ({
      device,
      storeCode: codes.get(device.storeId) ?? '',
      online: online.has(device.id),
    }));
  }

  async pair(
    merchantId: number,
    actorId: number,
    input: { storeId: number; label: string },
  ): Promise<{ view: DeviceView; pairing: Pairing }> {
    const store = await this.db.getRepository(Store).findOneBy({ id: input.storeId, merchantId });
    if (!store) throw notFound();
    const now = new Date();
    const device = await this.repo.save(
      this.repo.create(
        newDeviceRow({
          merchantId,
          storeId: store.id,
          label: input.label,
          createdById: actorId,
          expiresAt: this.newExpiry(now),
          now,
        }),
      ),
    );
    const pairing = await this.pairing(device, store.code);
    this.events.emit('device.paired', { device });
    return { view: { device, storeCode: store.code, online: false }, pairing };
  }

  async rename(merchantId: number, deviceId: number, label: string): Promise<DeviceView> {
    const device = await this.find(merchantId, deviceId);
    if (device.label !== label) {
      device.label = label;
      device.updatedAt = new Date();
      await this.repo.update({ id: device.id, merchantId }, { label, updatedAt: device.updatedAt });
      this.events.emit('device.updated', { device });
    }
    return (await this.views([device]))[0];
  }

  /** Idempotent: only the first call sets revoked_at, the actor and the reason; later calls return the same device. */
  async revoke(merchantId: number, deviceId: number, actorId: number, reason: string | undefined): Promise<DeviceView> {
    await this.find(merchantId, deviceId);
    const now = new Date();
    const res = await this.repo.update(
      { id: deviceId, merchantId, revokedAt: IsNull() },
      { revokedAt: now, revokedById: actorId, revokedReason: reason || null, updatedAt: now },
    );
    const device = await this.find(merchantId, deviceId);
    if (res.affected) this.events.emit('device.revoked', { device });
    return (await this.views([device]))[0];
  }

  /**
   * Renewal without a new device: a new jti and expiry on the same row, so the old token is refused at once
   * (its jti no longer matches any row) and the device keeps its id, label and history.
   */
  async reissue(merchantId: number, deviceId: number): Promise<{ view: DeviceView; pairing: Pairing }> {
    const device = await this.find(merchantId, deviceId);
    if (device.revokedAt) throw conflict('device_revoked');
    const previousJti = device.jti;
    const now = new Date();
    const changes = { jti: randomUUID(), expiresAt: this.newExpiry(now), expiryWarnedAt: null, updatedAt: now };
    const res = await this.repo.update({ id: device.id, merchantId, jti: previousJti, revokedAt: IsNull() }, changes);
    if (!res.affected) throw conflict('device_changed');
    Object.assign(device, changes);
    const [view] = await this.views([device]);
    const pairing = await this.pairing(device, view.storeCode);
    this.events.emit('device.reissued', { device, previousJti });
    return { view, pairing };
  }

  private async find(merchantId: number, deviceId: number): Promise<TerminalDevice> {
    const device = await this.repo.findOneBy({ id: deviceId, merchantId });
    if (!device) throw notFound();
    return device;
  }

  /** Whole seconds, so the token's `exp` and the row's `expires_at` are the same instant. */
  private newExpiry(now: Date): Date {
    return new Date(Math.floor((now.getTime() + this.config.deviceTokenTtlMs) / 1000) * 1000);
  }

  private async pairing(device: TerminalDevice, storeCode: string): Promise<Pairing> {
    const token = await this.tokens.createDeviceToken(device, storeCode);
    const payload = qrPayload(this.config.publicUrl, storeCode, token);
    const png = await qrPng(payload);
    return {
      auth_token: token,
      expires_at: device.expiresAt.toISOString(),
      qr: { payload, png_base64: png.toString('base64') },
    };
  }
}
