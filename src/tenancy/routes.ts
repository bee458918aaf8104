import type { Services } from '../context';
import { AppError } from '../errors';
import { type Route, route } from '../http/route';
import { presentMerchant, presentStore, presentUser } from './presenters';
import {
  listQuery,
  loginAnswer,
  loginBody,
  merchantAnswer,
  merchantBody,
  merchantList,
  merchantParams,
  storeAnswer,
  storeBody,
  storeList,
  userAnswer,
  userBody,
  userList,
} from './schemas';

/** `POST /api/v1/auth/login`: the one route that takes no token. */
export function loginRoutes({ tenancy, tokens, limits }: Services): Route[] {
  return [
    route({
      method: 'post',
      path: '/api/v1/auth/login',
      tag: 'auth',
      auth: 'none',
      summary: 'Log in with email and password',
      description:
        'Unknown email and wrong password get the same answer after the same work. Failed attempts are limited ' +
        'per client address (50 per 15 minutes) and per address and email (10 per 15 minutes).',
      body: loginBody,
      noStore: true,
      response: loginAnswer,
      errors: { INVALID_CREDENTIALS: 'Unknown email or wrong password', RATE_LIMITED: 'Too many failed attempts' },
      handler: async ({ body, ip }) => {
        const account = `${ip}|${body.email}`;
        await limits.loginPerAddress.check(ip);
        await limits.loginPerAccount.check(account);
        const user = await tenancy.login(body.email, body.password).catch(async (err: unknown) => {
          if (err instanceof AppError && err.code === 'INVALID_CREDENTIALS')
            await Promise.all([limits.loginPerAddress.take(ip), limits.loginPerAccount.take(account)]).catch(() => {});
          throw err;
        });
        const { token, expiresAt } = await tokens.createUserToken(user);
        return { token, expires_at: expiresAt.toISOString(), user: presentUser(user) };
      },
    }),
  ];
}

const M = '/api/v1/admin/merchants';
const unknownMerchant = { NOT_FOUND: 'Unknown merchant' };

/** The current user; admins manage merchants, their stores and users; users list their stores. */
export function tenancyRoutes({ tenancy, policy }: Services): Route[] {
  const admin = { tag: 'admin', auth: 'user', roles: ['admin'] } as const;
  return [
    route({
      method: 'get',
      path: '/api/v1/auth/me',
      tag: 'auth',
      auth: 'user',
      summary: 'The current user (device tokens use GET /api/v1/store/loyalty/session)',
      response: userAnswer,
      handler: ({ principal }) => {
        if (principal?.kind !== 'user') throw new AppError('FORBIDDEN');
        const merchantId = principal.role === 'admin' ? null : principal.merchantId;
        const storeIds = principal.role === 'store_staff' ? principal.storeIds : undefined;
        return { user: presentUser({ ...principal, merchantId }, storeIds) };
      },
    }),
    route({
      ...admin,
      method: 'post',
      path: M,
      summary: 'Create a merchant',
      body: merchantBody,
      status: 201,
      response: merchantAnswer,
      handler: async ({ body }) => ({ merchant: presentMerchant(await tenancy.createMerchant(body.name)) }),
    }),
    route({
      ...admin,
      method: 'get',
      path: M,
      summary: 'List merchants',
      query: listQuery,
      response: merchantList,
      handler: async ({ query }) => {
        const { items, total } = await tenancy.listMerchants(query);
        return { items: items.map(presentMerchant), total };
      },
    }),
    route({
      ...admin,
      method: 'get',
      path: `${M}/{merchant_id}`,
      summary: 'One merchant',
      params: merchantParams,
      response: merchantAnswer,
      errors: unknownMerchant,
      handler: async ({ params }) => ({ merchant: presentMerchant(await tenancy.getMerchant(params.merchant_id)) }),
    }),
    route({
      ...admin,
      method: 'post',
      path: `${M}/{merchant_id}/stores`,
      summary: 'Create a store (code unique across the platform, upper-cased)',
      params: merchantParams,
      body: storeBody,
      status: 201,
      response: storeAnswer,
      errors: { ...unknownMerchant, CONFLICT: 'The store code is taken (`store_code_taken`)' },
      handler: async ({ params, body }) => ({
        store: presentStore(await tenancy.createStore(params.merchant_id, body)),
      }),
    }),
    route({
      ...admin,
      method: 'get',
      path: `${M}/{merchant_id}/stores`,
      summary: "A merchant's stores",
      params: merchantParams,
      response: storeList,
      errors: unknownMerchant,
      handler: async ({ params }) => {
        await tenancy.getMerchant(params.merchant_id);
        return { items: (await tenancy.listStores(params.merchant_id)).map(presentStore) };
      },
    }),
    route({
      ...admin,
      method: 'post',
      path: `${M}/{merchant_id}/users`,
      summary: 'Create a merchant or store_staff user',
      params: merchantParams,
      body: userBody,
      status: 201,
      response: userAnswer,
      errors: {
        NOT_FOUND: 'Unknown merchant, or a store of another merchant',
        CONFLICT: 'The email is taken (`email_taken`)',
      },
      handler: async ({ params, body }) => {
        const input = { email: body.email, password: body.password, role: body.role, storeIds: body.store_ids };
        const { user, storeIds } = await tenancy.createUser(params.merchant_id, input);
        return { user: presentUser(user, storeIds) };
      },
    }),
    route({
      ...admin,
      method: 'get',
      path: `${M}/{merchant_id}/users`,
      summary: "A merchant's users",
      params: merchantParams,
      query: listQuery,
      response: userList,
      errors: unknownMerchant,
      handler: async ({ params, query }) => {
        await tenancy.getMerchant(params.merchant_id);
        const { items, total } = await tenancy.listUsers(params.merchant_id, query);
        return { items: items.map((i) => presentUser(i.user, i.storeIds)), total };
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/merchants/stores',
      tag: 'merchant',
      auth: 'user',
      roles: ['merchant', 'store_staff'],
      summary: "The caller's stores (merchant: all of its merchant's; store staff: the assigned ones)",
      response: storeList,
      handler: async ({ principal }) => {
        const { merchantId, onlyIds } = policy.visibleStores(principal);
        return { items: (await tenancy.listStores(merchantId, onlyIds)).map(presentStore) };
      },
    }),
  ];
}
