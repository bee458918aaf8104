import { randomPassword } from '../auth/passwords';
import { email as emailSchema, password as passwordSchema } from '../tenancy/schemas';
import { runCli } from './common';

// npm run admin:create -- --email ops@example.com [--password '…']
// Creates an admin, or resets the password of an existing admin. Without --password one is generated and printed once.
void runCli(
  async ({ tenancy, args }) => {
    const email = emailSchema.safeParse(args.email);
    if (!email.success)
      throw new Error(
        'usage: npm run admin:create -- --email you@example.com [--password …]  (--email must be an email address)',
      );
    const password = args.password ?? randomPassword();
    const pw = passwordSchema.safeParse(password);
    if (!pw.success) throw new Error(`--password ${pw.error.issues[0].message}`);
    const { created } = await tenancy.upsertAdmin(email.data, password);
    process.stdout.write(
      `${created ? 'Created' : 'Updated the password of'} admin ${email.data}${args.password ? '' : `\npassword: ${password}`}\n`,
    );
  },
  { email: { type: 'string' }, password: { type: 'string' } },
);
