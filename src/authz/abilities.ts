import { ROLES, type Role } from './roles.js';

/**
 * THE abilities table: the role matrix of the contract (section 3), as data. Every right a tenant role
 * gives is one row here; the permission map's rules (rules.ts), the roles that may run BI persisted
 * operations (src/server/plugins/persisted-queries.ts) and the personal data withheld from export-event
 * subscribers (src/events/) are all derived from it. A caller may hold several roles: rights are the
 * union. What no row grants is denied.
 */
// biome-ignore format: the table reads like the contract's matrix, one column per role.
const MATRIX = {
  //                                                                  VIEWER ANALYST EDITOR INTEGRATOR ADMIN
  readTenantData: ['read parks and reservations',                     [true,  true,   true,  true,      true]],
  readPii:        ['read reservation PII (visitorEmail)',              [false, false,  true,  false,     true]],
  write:          ['create, update, delete parks and reservations',    [false, false,  true,  false,     true]],
  analyze:        ['reservationStats and BI persisted operations',     [false, true,   true,  false,     true]],
  exportEvents:   ['subscribe to exportEvents',                        [false, false,  false, true,      true]],
  manageTenant:   ['manage members, roles and API keys of the tenant', [false, false,  false, false,     true]],
  readUsage:      ['the usage ledger (Query.usage, section 9)',        [false, true,   false, false,     true]],
} as const satisfies Record<string, readonly [string, readonly [boolean, boolean, boolean, boolean, boolean]]>;

export type Ability = keyof typeof MATRIX;

export interface AbilityRow {
  ability: Ability;
  /** The row's wording in the contract. */
  description: string;
  /** The roles that hold it, in ROLES order. */
  roles: readonly Role[];
}

export const ABILITIES: readonly AbilityRow[] = Object.entries(MATRIX).map(([ability, [description, columns]]) => ({
  ability: ability as Ability,
  description,
  roles: ROLES.filter((_role, column) => columns[column]),
}));

const rolesByAbility: ReadonlyMap<Ability, readonly Role[]> = new Map(ABILITIES.map((row) => [row.ability, row.roles]));

/** The roles that hold `ability`. */
export function rolesWith(ability: Ability): readonly Role[] {
  const roles = rolesByAbility.get(ability);
  if (!roles) throw new Error(`Unknown ability ${String(ability)}`);
  return roles;
}

/** True when any of `roles` holds `ability`: for checks made outside a field (event data, persisted operations). */
export const holds = (roles: ReadonlySet<Role>, ability: Ability): boolean =>
  rolesWith(ability).some((role) => roles.has(role));
