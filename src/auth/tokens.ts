import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors } from 'jose';
import { type DataSource, IsNull, Not } from 'typeorm';
import { TerminalDevice } from '../devices/entities';
import { DeviceTokenLookup } from './device-lookup';
import type { DevicePrincipal, Principal, UserPrincipal } from './principals';
import { AppError } from '../errors';
import type { EventBus } from '../events';
import { User, UserStore } from '../tenancy/entities';
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
  private readonly lookup: DeviceTokenLookup;

  constructor(
    private readonly keyring: Keyring,
    private readonly db: DataSource,
    private readonly userTtlMs: number,
    /** Where the first use of a renewed token is published (its previous token's sockets are then dropped). */
    private readonly events?: EventBus,
  ) {
    this.lookup = new DeviceTokenLookup(db);
  }

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

  /**
   * Turns a bearer token into a typed principal, or throws the contract's 401 code. Used by REST and sockets alike;
   * `socket`: a device socket's handshake, which also learns whether commands wait (in the same read).
   */
  async principalFromToken(token: string, opts: { socket?: boolean } = {}): Promise<Principal> {
    let typ: unknown;
    try {
      typ = decodeProtectedHeader(token).typ;
    } catch {
      throw new AppError('INVALID_TOKEN');
    }
    if (typ === USER_TOKEN.typ) return this.verifyUserToken(token, opts);
    if (typ === DEVICE_TOKEN.typ) return this.verifyDeviceToken(token, opts);
    throw new AppError('INVALID_TOKEN');
  }

  async verifyUserToken(token: string, opts: { socket?: boolean } = {}): Promise<UserPrincipal> {
    let payload: { sub?: string; tv?: unknown };
    try {
      payload = await this.keyring.verify(token, USER_TOKEN, !opts.socket);
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
   * expired → TERMINAL_DEVICE_EXPIRED. The row is read on every call (one query, no cache), so a revoke is refused on
   * the very next request on every node. The store and merchant come in the same query: the store API and the socket
   * handshake need them, and need no other read.
   *
   * A renewed device has two valid tokens for a while: the current one (`jti`) and the one it replaced
   * (`previous_jti`, until `previous_jti_until`). The query finds the row by either (two unique indexes, ORed). A
   * token found by `previous_jti` is valid with the same checks; its expiry is its own `exp`. The first use of the
   * current token retires the previous one: one conditional UPDATE (only while a `previous_jti` is set, so ordinary
   * requests write nothing), and only the call that cleared it publishes `device.previous_token_retired`.
   */
  async verifyDeviceToken(token: string, opts: { socket?: boolean } = {}): Promise<DevicePrincipal> {
    let payload: { sub?: string; jti?: string; exp?: number };
    let jwtExpired = false;
    try {
      payload = await this.keyring.verify(token, DEVICE_TOKEN, !opts.socket);
    } catch (err) {
      // jose checks the signature before the claims: an expired token here is genuine, so its row still decides
      // between revoked and expired.
      if (!(err instanceof joseErrors.JWTExpired) || !(err.payload as { jti?: string }).jti)
        throw new AppError('INVALID_TOKEN');
      payload = err.payload as { sub?: string; jti?: string; exp?: number };
      jwtExpired = true;
    }
    const jti = String(payload.jti);
    const now = new Date();
    const found = await this.lookup.find(jti, now, opts);
    if (!found || String(found.device.id) !== payload.sub) throw new AppError('INVALID_TOKEN');
    const { device, store: s, merchant: m } = found;
    if (device.revokedAt) throw new AppError('TERMINAL_DEVICE_REVOKED');
    const current = device.jti === jti;
    // The previous token's own expiry (whole seconds, as signed); the current one's is the row's.
    const expiresAt = current || !payload.exp ? device.expiresAt : new Date(payload.exp * 1000);
    if (jwtExpired || expiresAt.getTime() <= Date.now()) throw new AppError('TERMINAL_DEVICE_EXPIRED');
    if (current && device.previousJti) await this.retirePrevious(device);
    // A previous token's principal carries its own jti and expiry: its sockets join its jti's room and end at its exp.
    const seen = current ? device : { ...device, jti, expiresAt };
    return {
      kind: 'device',
      id: device.id,
      device: seen,
      store: { id: s.id, code: s.code, name: s.name, merchantId: s.merchantId },
      merchant: { id: m.id, name: m.name },
      expiresAt,
      ...(opts.socket ? { pendingCommands: found.pendingCommands } : {}),
    };
  }

  /** The first use of a renewed token: the previous one is refused from now on, on every node. */
  private async retirePrevious(device: TerminalDevice): Promise<void> {
    const previousJti = device.previousJti!;
    const res = await this.db
      .getRepository(TerminalDevice)
      .update(
        { id: device.id, jti: device.jti, previousJti: Not(IsNull()) },
        { previousJti: null, previousJtiUntil: null },
      );
    device.previousJti = null;
    device.previousJtiUntil = null;
    if (res.affected) this.events?.emit('device.previous_token_retired', { device, previousJti });
  }
}

/** A `sub` must be a canonical decimal id (`"2"`, never `"0x2"`, `"2.0"` or `" 2"`). */
function toId(sub: string | undefined): number {
  if (!sub || !/^[1-9]\d{0,15}$/.test(sub)) throw new AppError('INVALID_TOKEN');
  return Number(sub);
}
