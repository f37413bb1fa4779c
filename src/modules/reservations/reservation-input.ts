import { badUserInput } from '../../errors.js';
import type { CreateReservationInput } from '../../generated/graphql.js';
import { fromGlobalId } from '../global-id.js';
import { isCalendarDate } from '../core/scalars.js';

export const MAX_VISITOR_NAME_LENGTH = 200;
export const MAX_EMAIL_LENGTH = 254;
export const MAX_PARTY_SIZE = 100;

/** The stored fields of a new reservation, validated; `parkId` is the raw id, not yet checked to exist. */
export interface ReservationFields {
  parkId: string;
  visitorName: string;
  visitorEmail: string;
  partySize: number;
  date: string;
}

/** Plausible, not RFC 5322: one `@`, no spaces, a dot in the domain. Deliverability is not our check. */
const PLAUSIBLE_EMAIL = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/;

/** The same error whether the id is garbage, another type's, missing, or another tenant's park. */
export const parkNotNamed = () => badUserInput('input.parkId', 'does not name a park');

function parseVisitorName(value: unknown): string {
  if (typeof value !== 'string') throw badUserInput('input.visitorName', 'must be a string');
  const name = value.trim();
  if (name.length === 0) throw badUserInput('input.visitorName', 'must not be blank');
  if ([...name].length > MAX_VISITOR_NAME_LENGTH) {
    throw badUserInput('input.visitorName', `must be at most ${MAX_VISITOR_NAME_LENGTH} characters`);
  }
  return name;
}

function parseVisitorEmail(value: unknown): string {
  if (typeof value !== 'string') throw badUserInput('input.visitorEmail', 'must be a string');
  const email = value.trim();
  if (email.length > MAX_EMAIL_LENGTH || !PLAUSIBLE_EMAIL.test(email)) {
    throw badUserInput('input.visitorEmail', 'must be an email address');
  }
  return email;
}

function parsePartySize(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_PARTY_SIZE) {
    throw badUserInput('input.partySize', `must be an integer from 1 to ${MAX_PARTY_SIZE}`);
  }
  return value;
}

function parseDate(value: unknown): string {
  if (!isCalendarDate(value)) throw badUserInput('input.date', 'must be a calendar date YYYY-MM-DD');
  return value;
}

export function parseCreateReservationInput(input: CreateReservationInput): ReservationFields {
  const parkId = fromGlobalId('Park', input.parkId);
  if (parkId === null) throw parkNotNamed();
  return {
    parkId,
    visitorName: parseVisitorName(input.visitorName),
    visitorEmail: parseVisitorEmail(input.visitorEmail),
    partySize: parsePartySize(input.partySize),
    date: parseDate(input.date),
  };
}
