import { type EntityManager, IsNull, LessThan } from 'typeorm';
import { WebhookDelivery } from './entities';

/** Pauses after the 1st, 2nd… failed attempt (§13), then every 12 h; each with ±20 % jitter. */
const RETRY_DELAYS_MS = [5_000, 30_000, 120_000, 600_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000];
/** Past this age an event is given up (`failed`); an endpoint failing that long is disabled. */
export const GIVE_UP_MS = 3 * 86_400_000;

export function retryDelay(attempts: number, random = Math.random()): number {
  const base = RETRY_DELAYS_MS[Math.min(attempts, RETRY_DELAYS_MS.length) - 1] ?? RETRY_DELAYS_MS[0];
  return Math.round(base * (0.8 + 0.4 * random));
}

/** A disabled endpoint's pending deliveries wait out of the due range (the claims would only skip them). */
export async function holdDeliveries(m: EntityManager, endpointId: number): Promise<void> {
  await m
    .getRepository(WebhookDelivery)
    .update(
      { endpointId, status: 'pending', claimedUntil: IsNull() },
      { nextAttemptAt: new Date(Date.now() + GIVE_UP_MS) },
    );
}

/** Enabled again: what is past the 3 days of retries is failed, the rest is due now. */
export async function resumeDeliveries(m: EntityManager, endpointId: number): Promise<void> {
  const repo = m.getRepository(WebhookDelivery);
  const now = new Date();
  await repo.update(
    { endpointId, status: 'pending', createdAt: LessThan(new Date(now.getTime() - GIVE_UP_MS)) },
    { status: 'failed', claimedUntil: null },
  );
  await repo.update({ endpointId, status: 'pending', claimedUntil: IsNull() }, { nextAttemptAt: now });
}
