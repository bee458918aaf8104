import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../context';
import { requireRole, userOf } from '../http/auth';
import { portalMerchantId, type Portal } from '../http/portal';
import { body, params, query } from '../http/validate';
import { replayedHeaders, type Answer } from './idempotency';
import { presentCard, presentProgram, presentTransaction } from './presenters';
import {
  cardParams,
  enrolBody,
  idempotencyKey,
  programBody,
  redeemBody,
  stampBody,
  transactionsQuery,
} from './schemas';
import { resolveStoreContext } from './store-context';

/** A write's answer exactly as recorded, so that an Idempotency-Key replay is the same bytes. */
const send = (res: Response, a: Answer) => res.status(a.status).type('json').set(replayedHeaders(a)).send(a.body);

/** `/api/v1/store/loyalty/*`: the store API, for device tokens and store staff / merchant users. */
export function storeLoyaltyRoutes(ctx: AppContext): Router {
  const r = Router();
  const { loyalty } = ctx;
  const storeOf = (req: Request) => resolveStoreContext(ctx.db, req);
  const cardOf = (req: Request) => params(req, cardParams).card_number;

  r.get('/session', async (req, res) => {
    const sc = await storeOf(req);
    res.json({
      principal: sc.principal,
      store: { id: sc.store.id, code: sc.store.code, name: sc.store.name },
      merchant: { id: sc.merchant.id, name: sc.merchant.name },
      program: presentProgram(await loyalty.getProgram(sc.merchant.id)),
    });
  });

  r.get('/program', async (req, res) => {
    res.json(presentProgram(await loyalty.getProgram((await storeOf(req)).merchant.id)));
  });

  r.post('/cards', async (req, res) => {
    const sc = await storeOf(req);
    const input = body(req, enrolBody);
    send(
      res,
      await loyalty.enrol(
        sc,
        { cardNumber: input.card_number, customerName: input.customer_name ?? null },
        idempotencyKey(req),
      ),
    );
  });

  r.get('/cards/:card_number', async (req, res) => {
    const sc = await storeOf(req);
    res.json(presentCard(await loyalty.getCard(sc.merchant.id, cardOf(req))));
  });

  r.post('/cards/:card_number/stamps', async (req, res) => {
    const sc = await storeOf(req);
    const { count } = body(req, stampBody);
    send(res, await loyalty.stamp(sc, cardOf(req), count, idempotencyKey(req)));
  });

  r.post('/cards/:card_number/redeem', async (req, res) => {
    const sc = await storeOf(req);
    body(req, redeemBody);
    send(res, await loyalty.redeem(sc, cardOf(req), idempotencyKey(req)));
  });

  r.get('/transactions', async (req, res) => {
    const sc = await storeOf(req);
    const items = await loyalty.listTransactions(sc, query(req, transactionsQuery).limit);
    res.json({ items: items.map((i) => presentTransaction(i.transaction, i.cardNumber)) });
  });

  return r;
}

/** `GET|PUT /api/v1/merchants/loyalty/program` and the admin on-behalf twin `/api/v1/admin/merchants/{id}/loyalty/program`. */
export function programRoutes(ctx: AppContext, portal: Portal): Router {
  const r = Router({ mergeParams: true });
  r.use(requireRole(portal));

  r.get('/', async (req, res) => {
    res.json(presentProgram(await ctx.loyalty.getProgram(await portalMerchantId(ctx, portal, req))));
  });

  r.put('/', async (req, res) => {
    const merchantId = await portalMerchantId(ctx, portal, req);
    const input = body(req, programBody);
    res.json(
      presentProgram(
        await ctx.loyalty.setProgram(merchantId, userOf(req).id, {
          stampsRequired: input.stamps_required,
          rewardLabel: input.reward_label,
        }),
      ),
    );
  });

  return r;
}
