/**
 * Roles (SPEC §6): which role may call which route. A route names the role it needs in its
 * options (`config: { role: 'operator' }`), next to its schema; this file is the one place that
 * says what each role includes.
 */
export const ROLES = ['telephony', 'operator', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What a route asks for: one role, or several alternatives (create a call: telephony or operator). */
export type RouteRole = Role | readonly Role[];

/** Each role and the roles whose rights it also has (admin has everything). */
const INCLUDES: Record<Role, readonly Role[]> = {
  telephony: ['telephony'],
  operator: ['operator'],
  supervisor: ['supervisor', 'operator'],
  admin: ROLES,
};

export function mayCall(held: Role, needed: RouteRole): boolean {
  const alternatives = typeof needed === 'string' ? [needed] : needed;
  return alternatives.some((role) => INCLUDES[held].includes(role));
}

/** The roles that would do, for a 403 that tells the client what it needs. */
export function rolesThatMay(needed: RouteRole): Role[] {
  return ROLES.filter((role) => mayCall(role, needed));
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
