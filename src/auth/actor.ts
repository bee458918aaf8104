import type { Principal } from './principals';

/**
 * Who is of record for a change: a user (with the email it had then), a device, or the system (jobs, sweeps). Built
 * once per request by the transport and handed to the service, which passes it with the change's domain events.
 */
export interface Actor {
  kind: 'user' | 'device' | 'system';
  id: number | null;
  email: string | null;
  /** An admin acting for the merchant (admin portal). */
  onBehalf: boolean;
  /** The client address as REST sees it (TRUST_PROXY), or the socket's. */
  ip: string | null;
}

export const SYSTEM_ACTOR: Actor = { kind: 'system', id: null, email: null, onBehalf: false, ip: null };

export function actorOf(p: Principal | undefined, ip: string | null): Actor {
  if (!p) return { ...SYSTEM_ACTOR, ip };
  if (p.kind === 'device') return { kind: 'device', id: p.id, email: null, onBehalf: false, ip };
  return { kind: 'user', id: p.id, email: p.email, onBehalf: p.role === 'admin', ip };
}
