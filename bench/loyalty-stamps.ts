/**
 * Stamps per second through the store API (real HTTP, one process), on one hot card and spread over many cards,
 * with and without Idempotency-Key; checks that every stamp counted.
 *   npx tsx bench/loyalty-stamps.ts [total=2000] [concurrency=50]
 *   DATABASE_URL=mysql://root@127.0.0.1:3306/th_bench npx tsx bench/loyalty-stamps.ts
 */
import { randomUUID } from 'node:crypto';
import { adminToken, createTenant, onMysql, pairDevice, startHub } from '../test/helpers';

const total = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 50);

async function main() {
  const t = await startHub();
  try {
    const tenant = await createTenant(t, (await adminToken(t)).token, 2);
    const tokens: string[] = [];
    for (let i = 0; i < 8; i++) tokens.push((await pairDevice(t, tenant, i % 2, `Bench ${i}`)).token);
    const call = (path: string, token: string, body: object, key?: string) =>
      fetch(`${t.url}/api/v1/store/loyalty${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          ...(key ? { 'idempotency-key': key } : {}),
        },
        body: JSON.stringify(body),
      });
    const enrol = async () =>
      ((await (await call('/cards', tokens[0], {})).json()) as { card: { card_number: string } }).card.card_number;
    const stamps = async (n: string) => (await t.hub.ctx.loyalty.getCard(tenant.merchantId, n)).stamps;

    console.log(
      `database: ${onMysql ? 'MariaDB/MySQL' : 'SQLite'}, ${total} stamp requests, ${concurrency} in flight, ${tokens.length} devices in 2 stores`,
    );
    const hot = await enrol();
    const many = await Promise.all(Array.from({ length: 100 }, enrol));
    const scenarios = [
      ['warm-up (not a result)', (i: number) => many[i % many.length], true],
      ['one hot card, no key', () => hot, false],
      ['one hot card, Idempotency-Key', () => hot, true],
      ['100 cards, no key', (i: number) => many[i % many.length], false],
      ['100 cards, Idempotency-Key', (i: number) => many[i % many.length], true],
    ] as const;
    for (const [label, cardOf, keyed] of scenarios) {
      const statuses: Record<number, number> = {};
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < total) {
            const i = next++;
            const res = await call(
              `/cards/${cardOf(i)}/stamps`,
              tokens[i % tokens.length],
              { count: 1 },
              keyed ? randomUUID() : undefined,
            );
            await res.arrayBuffer();
            statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          }
        }),
      );
      const secs = (performance.now() - t0) / 1000;
      console.log(
        `${label.padEnd(32)} ${(total / secs).toFixed(0).padStart(6)} stamps/s  (${secs.toFixed(2)} s, statuses ${JSON.stringify(statuses)})`,
      );
    }
    const counted = (await stamps(hot)) + (await Promise.all(many.map(stamps))).reduce((a, b) => a + b, 0);
    const expected = scenarios.length * total;
    console.log(
      `stamps on the cards: ${counted} of ${expected} requested${counted === expected ? ' (all counted)' : ' — LOST UPDATES'}`,
    );
  } finally {
    await t.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
