import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors } from 'jose';
import type { DataSource } from 'typeorm';
import { TerminalDevice } from '../devices/entities';
import type { DevicePrincipal, Principal, UserPrincipal } from './principals';
import { AppError } from '../errors';
import { Merchant, Store, User, UserStore } from '../tenancy/entities';
import type { Keyring } from './keyring';

/** Two token kinds, told apart by `typ` and `aud` so that neither passes as the other (RFC 8725 §3.11, §3.12). */
export const USER_TOKEN = { typ: 'th-user+jwt', audience: 'terminal-hub:portal' } as const;
export const DEVICE_TOKEN = { typ: 'th-device+jwt', audience: 'terminal-hub:store-api' } as const;

/** The bearer token of an Authorization header, or undefined. Tokens in query strings are never read. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

export interface DeviceTokenClaims {
  store_code: string;
  merchant_id: number;
}

export class Tokens {
  constructor(
    private readonly keyring: Keyring,
    private readonly db: DataSource,
    private readonly userTtlMs: number,
  ) {}

  async createUserToken(user: Pick<User, 'id' | 'role' | 'tokenVersion'>): Promise<{ token: string; expiresAt: Date }> {
    const expiresAt = new Date(Math.floor((Date.now() + this.userTtlMs) / 1000) * 1000);
    const token = await this.keyring.sign(
      { role: user.role, tv: user.tokenVersion ?? 0 },
      { ...USER_TOKEN, subject: String(user.id), jti: randomUUID(), expiresAt },
    );
    return { token, expiresAt };
  }

  /** A device token whose `exp` is exactly the row's `expires_at` (whole seconds). */
  createDeviceToken(
    device: Pick<TerminalDevice, 'id' | 'jti' | 'expiresAt' | 'merchantId'>,
    storeCode: string,
  ): Promise<string> {
    const claims: DeviceTokenClaims = { store_code: storeCode, merchant_id: device.merchantId };
    return this.keyring.sign(
      { ...claims },
      { ...DEVICE_TOKEN, subject: String(device.id), jti: device.jti, expiresAt: device.expiresAt },
    );
  }

  /** Turns a bearer token into a typed principal, or throws the contract's 401 code. Used by REST and sockets alike. */
  async principalFromToken(token: string): Promise<Principal> {
    let typ: unknown;
    try {
      typ = decodeProtectedHeader(token).typ;
    } catch {
      throw new AppError('INVALID_TOKEN');
    }
    if (typ === USER_TOKEN.typ) return this.verifyUserToken(token);
    if (typ === DEVICE_TOKEN.typ) return this.verifyDeviceToken(token);
    throw new AppError('INVALID_TOKEN');
  }

  async verifyUserToken(token: string): Promise<UserPrincipal> {
    let payload: { sub?: string; tv?: unknown };
    try {
      payload = (await this.keyring.verify(token, USER_TOKEN)).payload;
    } catch (err) {
      throw new AppError(err instanceof joseErrors.JWTExpired ? 'TOKEN_EXPIRED' : 'INVALID_TOKEN');
    }
    const user = await this.db.getRepository(User).findOneBy({ id: toId(payload.sub) });
    // A token from before the user's last password change carries an older version.
    if (!user || (payload.tv ?? 0) !== user.tokenVersion) throw new AppError('INVALID_TOKEN');
    const base = { kind: 'user', id: user.id, email: user.email } as const;
    if (user.role === 'admin') return { ...base, role: 'admin' };
    if (user.merchantId === null) throw new AppError('INVALID_TOKEN'); // a merchant-less non-admin cannot exist
    if (user.role === 'merchant') return { ...base, role: 'merchant', merchantId: user.merchantId };
    const links = await this.db.getRepository(UserStore).findBy({ userId: user.id });
    return { ...base, role: 'store_staff', merchantId: user.merchantId, storeIds: links.map((l) => l.storeId) };
  }

  /**
   * Signature and claims, then the row by `jti`: unknown → INVALID_TOKEN, revoked → TERMINAL_DEVICE_REVOKED,
   * expired → TERMINAL_DEVICE_EXPIRED. The row is read on every call (one indexed lookup, no cache), so a revoke
   * is refused on the very next request on every node. The store and merchant come in the same query: the store
   * API and the socket handshake need them, and need no other read.
   */
  async verifyDeviceToken(token: string): Promise<DevicePrincipal> {
    let payload: { sub?: string; jti?: string };
    let jwtExpired = false;
    try {
      payload = (await this.keyring.verify(token, DEVICE_TOKEN)).payload;
    } catch (err) {
      // jose checks the signature before the claims: an expired token here is genuine, so its row still decides
      // between revoked and expired.
      if (!(err instanceof joseErrors.JWTExpired) || !(err.payload as { jti?: string }).jti)
        throw new AppError('INVALID_TOKEN');
      payload = err.payload as { sub?: string; jti?: string };
      jwtExpired = true;
    }
    const row = (await this.db
      .getRepository(TerminalDevice)
      .createQueryBuilder('d')
      .innerJoinAndMapOne('d.store', Store, 's', 's.id = d.storeId')
      .innerJoinAndMapOne('d.merchant', Merchant, 'm', 'm.id = s.merchantId')
      .where('d.jti = :jti', { jti: String(payload.jti) })
      .getOne()) as (TerminalDevice & { store: Store; merchant: Merchant }) | null;
    if (!row || String(row.id) !== payload.sub) throw new AppError('INVALID_TOKEN');
    const { store: s, merchant: m, ...device } = row;
    if (device.revokedAt) throw new AppError('TERMINAL_DEVICE_REVOKED');
    if (jwtExpired || device.expiresAt.getTime() <= Date.now()) throw new AppError('TERMINAL_DEVICE_EXPIRED');
    return {
      kind: 'device',
      id: device.id,
      device,
      store: { id: s.id, code: s.code, name: s.name, merchantId: s.merchantId },
      merchant: { id: m.id, name: m.name },
      expiresAt: device.expiresAt,
    };
  }
}

/** A `sub` must be a canonical decimal id (`"2"`, never `"0x2"`, `"2.0"` or `" 2"`). */
function toId(sub: string | undefined): number {
  if (!sub || !/^[1-9]\d{0,15}$/.test(sub)) throw new AppError('INVALID_TOKEN');
  return Number(sub);
}
