import type { Role } from './roles.js';
import { ABILITIES } from './rules.js';

const abilitiesOf = (role: Role) =>
  Object.values(ABILITIES).filter((holders: readonly Role[]) => holders.includes(role));

/**
 * True when every ability of `role` is also an ability of one of `held`: ADMIN covers every role,
 * EDITOR covers VIEWER and ANALYST, every role covers VIEWER. What a credential may hand on: a key is
 * created only with roles its creator covers, and acts only with the roles its creator still covers.
 */
export function covers(held: ReadonlySet<Role> | readonly Role[], role: Role): boolean {
  const holders = [...held];
  return abilitiesOf(role).every((roles: readonly Role[]) => holders.some((h) => roles.includes(h)));
}
