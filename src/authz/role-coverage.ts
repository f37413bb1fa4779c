import { ABILITIES } from './abilities.js';
import type { Role } from './roles.js';

const abilitiesOf = (role: Role) => ABILITIES.filter((row) => row.roles.includes(role));

/**
 * True when every ability of `role` (the abilities table) is also an ability of one of `held`: ADMIN
 * covers every role, EDITOR covers VIEWER (not ANALYST, which reads the usage ledger), every role covers VIEWER. What a credential may
 * hand on: a key is created only with roles its creator covers, and acts only with the roles its
 * creator still covers.
 */
export function covers(held: ReadonlySet<Role> | readonly Role[], role: Role): boolean {
  const holders = [...held];
  return abilitiesOf(role).every((row) => holders.some((h) => row.roles.includes(h)));
}
