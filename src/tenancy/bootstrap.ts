import type { Config } from '../config';
import { AppError } from '../errors';
import { randomPassword } from '../auth/passwords';
import type { TenancyService } from './service';

export const GENERATED_ADMIN_EMAIL = 'admin@terminal-hub.local';

export type FirstAdmin =
  | { kind: 'exists' }
  | { kind: 'bootstrapped'; email: string }
  | { kind: 'generated'; email: string; password: string };

/**
 * The first admin: from BOOTSTRAP_ADMIN_* when no admin exists; with neither, one with a random password that the
 * caller shows once. Safe when several nodes start at once (the loser of the unique-email race finds it exists).
 */
export async function ensureFirstAdmin(
  tenancy: TenancyService,
  config: Pick<Config, 'bootstrapAdmin'>,
): Promise<FirstAdmin> {
  if ((await tenancy.countAdmins()) > 0) return { kind: 'exists' };
  const email = config.bootstrapAdmin?.email ?? GENERATED_ADMIN_EMAIL;
  const password = config.bootstrapAdmin?.password ?? randomPassword();
  try {
    await tenancy.createUser(null, { email, password, role: 'admin' });
  } catch (err) {
    if (err instanceof AppError && err.code === 'CONFLICT') return { kind: 'exists' };
    throw err;
  }
  return config.bootstrapAdmin ? { kind: 'bootstrapped', email } : { kind: 'generated', email, password };
}
