import type { UsageCounters, UsageDocument } from '../data/limits-store.js';
import { badUserInput } from '../errors.js';
import { hourOf } from './usage-ledger.js';

/** The longest time one question to the usage ledger may cover. */
const MAX_USAGE_RANGE_MS = 31 * 24 * 60 * 60 * 1000;

/**
 * The times a question to the usage ledger covers, checked the same for a tenant (`Query.usage`) and
 * an operator: `from` before `to`, at most 31 days apart (BAD_USER_INPUT naming the argument
 * otherwise); the answer starts at the hour of `from`.
 */
export function usageRange(from: Date, to: Date): { from: Date; to: Date } {
  if (Number.isNaN(from.getTime())) throw badUserInput('from', 'must be an ISO 8601 date-time');
  if (Number.isNaN(to.getTime())) throw badUserInput('to', 'must be an ISO 8601 date-time');
  if (!(from < to)) throw badUserInput('to', 'must be after from');
  if (to.getTime() - from.getTime() > MAX_USAGE_RANGE_MS)
    throw badUserInput('to', 'must be at most 31 days after from');
  return { from: hourOf(from), to };
}

/** The ledger's hours as both APIs answer them: the hour (ISO 8601) and its counters. */
export const usageHours = (documents: readonly UsageDocument[]): Array<UsageCounters & { hour: string }> =>
  documents.map(({ _id: _key, tenantId: _tenant, hour, ...counters }) => ({ hour: hour.toISOString(), ...counters }));
