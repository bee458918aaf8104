import { In, type DataSource, type EntityManager } from 'typeorm';
import { dummyHash, hashPassword, verifyPassword } from '../auth/passwords';
import { isUniqueViolation } from '../db/errors';
import { transaction } from '../db/transaction';
import { AppError, conflict, notFound } from '../errors';
import { Merchant, Store, User, UserStore, type Role } from './entities';

export interface Page {
  limit: number;
  offset: number;
}

/** Users, merchants and stores. Every read that can see tenant data takes the merchant id. */
export class TenancyService {
  constructor(private readonly db: DataSource) {}

  private get merchants() {
    return this.db.getRepository(Merchant);
  }
  private get stores() {
    return this.db.getRepository(Store);
  }
  private get users() {
    return this.db.getRepository(User);
  }

  async login(email: string, password: string): Promise<User> {
    const user = await this.users.findOneBy({ email: email.toLowerCase() });
    // Same work and the same answer for an unknown email and a wrong password.
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash()));
    if (!user || !ok) throw new AppError('INVALID_CREDENTIALS');
    await this.users.update({ id: user.id }, { lastLoginAt: new Date() });
    return user;
  }

  createMerchant(name: string): Promise<Merchant> {
    const now = new Date();
    return this.merchants.save(this.merchants.create({ name, createdAt: now, updatedAt: now }));
  }

  async listMerchants(page: Page) {
    const [items, total] = await this.merchants.findAndCount({
      order: { id: 'ASC' },
      take: page.limit,
      skip: page.offset,
    });
    return { items, total };
  }

  async getMerchant(id: number): Promise<Merchant> {
    const m = await this.merchants.findOneBy({ id });
    if (!m) throw notFound();
    return m;
  }

  async createStore(merchantId: number, input: { name: string; code: string }): Promise<Store> {
    await this.getMerchant(merchantId);
    const now = new Date();
    try {
      return await this.stores.save(
        this.stores.create({ merchantId, name: input.name, code: input.code, createdAt: now, updatedAt: now }),
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('store_code_taken');
      throw err;
    }
  }

  listStores(merchantId: number, onlyIds?: number[]): Promise<Store[]> {
    return this.stores.find({ where: { merchantId, ...(onlyIds ? { id: In(onlyIds) } : {}) }, order: { id: 'ASC' } });
  }

  /** A store of this merchant, or 404 (also for another merchant's store: never reveal that it exists). */
  async getStore(merchantId: number, storeId: number): Promise<Store> {
    const s = await this.stores.findOneBy({ id: storeId, merchantId });
    if (!s) throw notFound();
    return s;
  }

  /** A store by its (upper-case) code and its merchant, in one round trip: the store API runs this per request. */
  async storeWithMerchant(code: string): Promise<{ store: Store; merchant: Merchant } | null> {
    const row = (await this.stores
      .createQueryBuilder('s')
      .innerJoinAndMapOne('s.merchant', Merchant, 'm', 'm.id = s.merchantId')
      .where('s.code = :code', { code })
      .getOne()) as (Store & { merchant: Merchant }) | null;
    if (!row) return null;
    const { merchant, ...store } = row;
    return { store, merchant };
  }

  /** Store codes by id, for presenting devices (no tenant data beyond the code of stores the caller named). */
  /** `m`: the manager of a transaction in progress (its connection, not a second one from the pool). */
  async storeCodes(storeIds: number[], m?: EntityManager): Promise<Map<number, string>> {
    if (storeIds.length === 0) return new Map();
    const rows = await (m ? m.getRepository(Store) : this.stores).find({
      where: { id: In(storeIds) },
      select: { id: true, code: true },
    });
    return new Map(rows.map((s) => [s.id, s.code]));
  }

  async createUser(
    merchantId: number | null,
    input: { email: string; password: string; role: Role; storeIds?: number[] },
  ): Promise<{ user: User; storeIds: number[] }> {
    const storeIds = [...new Set(input.storeIds ?? [])];
    if (merchantId !== null) {
      await this.getMerchant(merchantId);
      const found = await this.stores.countBy({ merchantId, id: In(storeIds.length ? storeIds : [0]) });
      if (found !== storeIds.length) throw notFound();
    }
    const passwordHash = await hashPassword(input.password);
    const now = new Date();
    try {
      const user = await transaction(this.db, async (em) => {
        const u = await em.save(
          User,
          em.create(User, {
            email: input.email.toLowerCase(),
            passwordHash,
            role: input.role,
            merchantId,
            tokenVersion: 0,
            lastLoginAt: null,
            createdAt: now,
            updatedAt: now,
          }),
        );
        if (storeIds.length)
          await em.insert(
            UserStore,
            storeIds.map((storeId) => ({ userId: u.id, storeId })),
          );
        return u;
      });
      return { user, storeIds };
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('email_taken');
      throw err;
    }
  }

  async listUsers(merchantId: number, page: Page) {
    const [users, total] = await this.users.findAndCount({
      where: { merchantId },
      order: { id: 'ASC' },
      take: page.limit,
      skip: page.offset,
    });
    const links = users.length
      ? await this.db.getRepository(UserStore).findBy({ userId: In(users.map((u) => u.id)) })
      : [];
    return {
      items: users.map((user) => ({ user, storeIds: links.filter((l) => l.userId === user.id).map((l) => l.storeId) })),
      total,
    };
  }

  countAdmins(): Promise<number> {
    return this.users.countBy({ role: 'admin' });
  }

  /** A new password, and every user token issued before it is refused from now on (the token version moves). */
  async setPassword(userId: number, password: string): Promise<void> {
    const passwordHash = await hashPassword(password);
    await this.users.update(
      { id: userId },
      { passwordHash, tokenVersion: () => 'token_version + 1', updatedAt: new Date() },
    );
  }

  /** Creates the admin, or sets the password of an existing admin with that email (operator CLI). */
  async upsertAdmin(email: string, password: string): Promise<{ user: User; created: boolean }> {
    const existing = await this.users.findOneBy({ email: email.toLowerCase() });
    if (existing) {
      if (existing.role !== 'admin') throw conflict('email_taken');
      await this.setPassword(existing.id, password);
      return { user: existing, created: false };
    }
    return { user: (await this.createUser(null, { email, password, role: 'admin' })).user, created: true };
  }
}
