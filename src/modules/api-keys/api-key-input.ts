import { isRole, type Role } from '../../authz/roles.js';
import { badUserInput } from '../../errors.js';
import type { CreateApiKeyInput } from '../../generated/graphql.js';

export interface ValidApiKeyInput {
  name: string;
  roles: Role[];
  expiresAt: Date | null;
}

export function validateApiKeyInput(input: CreateApiKeyInput, now: Date): ValidApiKeyInput {
  const name = input.name.trim();
  if (name.length < 1 || name.length > 100) throw badUserInput('input.name', 'must be 1 to 100 characters');
  const roles = [...new Set(input.roles)];
  if (roles.length === 0 || !roles.every(isRole)) throw badUserInput('input.roles', 'must name at least one role');
  let expiresAt: Date | null = null;
  if (input.expiresAt !== null && input.expiresAt !== undefined) {
    expiresAt = new Date(input.expiresAt);
    if (Number.isNaN(expiresAt.getTime())) throw badUserInput('input.expiresAt', 'is not a valid DateTime');
    if (expiresAt <= now) throw badUserInput('input.expiresAt', 'must be in the future');
  }
  return { name, roles, expiresAt };
}
