import { randomPassword } from '../auth/passwords';
import { Merchant, Store, User } from '../tenancy/entities';
import { runCli } from './common';

const DEMO = {
  merchant: 'Demo Bakery',
  stores: [
    { name: 'Luxembourg Gare', code: 'DEMO-LUX-GARE' },
    { name: 'Kirchberg', code: 'DEMO-KIRCHBERG' },
  ],
  merchantUser: 'demo-merchant@terminal-hub.local',
  staffUser: 'demo-staff@terminal-hub.local',
};

// npm run seed:demo — a demo merchant with two stores, a merchant user and a store staff user.
// Safe to run again: what exists is kept, and the two demo users get fresh random passwords, printed once.
void runCli('npm run seed:demo', {}, async ({ db, tenancy, config }) => {
  const merchant =
    (await db.getRepository(Merchant).findOneBy({ name: DEMO.merchant })) ??
    (await tenancy.createMerchant(DEMO.merchant));
  const stores: Store[] = [];
  for (const s of DEMO.stores)
    stores.push(
      (await db.getRepository(Store).findOneBy({ code: s.code })) ?? (await tenancy.createStore(merchant.id, s)),
    );
  const logins: string[] = [];
  for (const [email, role] of [
    [DEMO.merchantUser, 'merchant'],
    [DEMO.staffUser, 'store_staff'],
  ] as const) {
    const password = randomPassword();
    const existing = await db.getRepository(User).findOneBy({ email });
    if (existing) await tenancy.setPassword(existing.id, password);
    else
      await tenancy.createUser(merchant.id, {
        email,
        password,
        role,
        storeIds: role === 'store_staff' ? [stores[0].id] : undefined,
      });
    logins.push(`  ${role.padEnd(12)} ${email}  password: ${password}`);
  }
  process.stdout.write(
    [
      `Demo merchant "${merchant.name}" (id ${merchant.id}), stores ${stores.map((s) => s.code).join(', ')}.`,
      `Log in at ${config.publicUrl}/login:`,
      ...logins,
      `Then pair a tablet: ${config.publicUrl}/merchants/loyalty/devices`,
      '',
    ].join('\n'),
  );
});
