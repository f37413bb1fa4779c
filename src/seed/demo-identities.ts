import type { Role } from '../authz/roles.js';
import type { PlanName } from '../limits/plans.js';

export type DemoTenantSlug = 'texas' | 'washington' | 'colorado';

/** The tenants and users of CONTRACT.md section 4. */
export const DEMO_TENANTS: ReadonlyArray<{ slug: DemoTenantSlug; name: string; plan: PlanName }> = [
  { slug: 'texas', name: 'Texas Parks & Wildlife', plan: 'standard' },
  { slug: 'washington', name: 'Washington State Parks', plan: 'free' },
  { slug: 'colorado', name: 'Colorado Parks & Wildlife', plan: 'enterprise' },
];

export const DEMO_USERS: ReadonlyArray<{
  email: string;
  memberships: Partial<Record<DemoTenantSlug, Role[]>>;
  activeTenant: DemoTenantSlug | null;
  /** Holds the platform OPERATOR role (src/admin/): a member of no tenant. */
  operator?: boolean;
}> = [
  { email: 'alice@example.com', memberships: { texas: ['ADMIN'], washington: ['VIEWER'] }, activeTenant: 'texas' },
  { email: 'bob@example.com', memberships: { washington: ['EDITOR'] }, activeTenant: 'washington' },
  { email: 'carol@example.com', memberships: { colorado: ['ADMIN', 'ANALYST'] }, activeTenant: 'colorado' },
  { email: 'dave@example.com', memberships: { texas: ['VIEWER'] }, activeTenant: 'texas' },
  { email: 'erin@example.com', memberships: { texas: ['ANALYST'] }, activeTenant: 'texas' },
  { email: 'frank@example.com', memberships: { texas: ['INTEGRATOR'] }, activeTenant: 'texas' },
  { email: 'mallory@example.com', memberships: {}, activeTenant: null },
  { email: 'olivia@example.com', memberships: {}, activeTenant: null, operator: true },
];
