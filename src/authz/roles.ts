/** The roles a caller can hold within the active tenant (CONTRACT.md section 3). */
export const ROLES = ['VIEWER', 'ANALYST', 'EDITOR', 'INTEGRATOR', 'ADMIN'] as const;

export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
