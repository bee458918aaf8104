import { PASSWORD_RULE_TEXT, passwordSchema, randomPassword } from '../auth/passwords';
import { email as emailSchema } from '../tenancy/schemas';
import { User } from '../tenancy/entities';
import { CliError, runCli } from './common';

const USAGE = "npm run admin:create -- --email you@example.com [--password '…']";
const ROLE_NAMES: Record<string, string> = { merchant: 'a merchant user', store_staff: 'a store staff user' };

// npm run admin:create -- --email ops@example.com [--password '…']
// Creates an admin, or resets the password of an existing admin. Without --password one is generated and printed once.
void runCli(USAGE, { email: { type: 'string' }, password: { type: 'string' } }, async ({ db, tenancy, args }) => {
  const email = emailSchema.safeParse(args.email);
  if (!email.success)
    throw new CliError(
      args.email === undefined
        ? `--email is required. Usage: ${USAGE}`
        : `--email must be an email address (got "${args.email}"). Usage: ${USAGE}`,
    );
  const password = args.password ?? randomPassword();
  if (!passwordSchema.safeParse(password).success) throw new CliError(`--password ${PASSWORD_RULE_TEXT}.`);
  const existing = await db.getRepository(User).findOneBy({ email: email.data });
  if (existing && existing.role !== 'admin')
    throw new CliError(
      `${email.data} is already ${ROLE_NAMES[existing.role] ?? `a ${existing.role} user`}; admins need their own email.`,
    );
  const { created } = await tenancy.upsertAdmin(email.data, password);
  process.stdout.write(
    `${created ? 'Created' : 'Updated the password of'} admin ${email.data}${args.password ? '' : `\npassword: ${password}`}\n`,
  );
});
