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

/** A device acting for itself (its socket, its own store-API calls). */
export const deviceActor = (deviceId: number, ip: string | null): Actor => ({
  kind: 'device',
  id: deviceId,
  email: null,
  onBehalf: false,
  ip,
});

export function actorOf(p: Principal | undefined, ip: string | null): Actor {
  if (!p) return { ...SYSTEM_ACTOR, ip };
  if (p.kind === 'device') return deviceActor(p.id, ip);
  return { kind: 'user', id: p.id, email: p.email, onBehalf: p.role === 'admin', ip };
}
