import type { NewApiKey } from '../../tenancy/tenant-api-keys.js';
import { isRole } from '../../authz/roles.js';
import { OPERATION_NAME } from '../../bi/operation-check.js';
import { badUserInput } from '../../errors.js';
import type { ApiKeyLimitsInput, CreateApiKeyInput } from '../../generated/graphql.js';
import type { KeyLimits } from '../../limits/plans.js';

/** The input of createApiKey, validated; its operation names are not yet checked to exist. */
export type ValidApiKeyInput = NewApiKey;

/** Operation names a key may be limited to at most. */
export const MAX_KEY_OPERATIONS = 50;

function validateOperations(operations: readonly string[] | null | undefined): string[] | null {
  if (operations === null || operations === undefined) return null;
  const names = [...new Set(operations)];
  if (names.length === 0 || names.length > MAX_KEY_OPERATIONS) {
    throw badUserInput('input.operations', `must name 1 to ${MAX_KEY_OPERATIONS} operations, or be null`);
  }
  const bad = names.find((name) => !OPERATION_NAME.test(name));
  if (bad !== undefined) throw badUserInput('input.operations', `holds ${JSON.stringify(bad)}, not an operation name`);
  return names;
}

const MAX_LIMIT = 1_000_000_000;

function validateLimits(limits: ApiKeyLimitsInput | null | undefined): KeyLimits | null {
  if (limits === null || limits === undefined) return null;
  const given = Object.entries(limits).filter(
    (entry): entry is [string, number] => entry[1] !== null && entry[1] !== undefined,
  );
  if (given.length === 0) return null;
  const bad = given.find(([, value]) => !Number.isInteger(value) || value < 1 || value > MAX_LIMIT);
  if (bad) throw badUserInput(`input.limits.${bad[0]}`, `must be an integer from 1 to ${MAX_LIMIT}`);
  return Object.fromEntries(given) as KeyLimits;
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
  return {
    name,
    roles,
    expiresAt,
    operations: validateOperations(input.operations),
    limits: validateLimits(input.limits),
  };
}
