import { badUserInput } from '../../errors.js';
import type { CreateParkInput, UpdateParkInput } from '../../generated/graphql.js';

export const MAX_PARK_NAME_LENGTH = 200;
export const MAX_REGION_LENGTH = 100;
export const MAX_CAPACITY = 1_000_000;

/** The stored fields of a park, validated and normalized. */
export interface ParkFields {
  name: string;
  region: string | null;
  capacity: number | null;
}

/** Lengths count code points, so a name of emoji is limited like a name of letters. */
const lengthOf = (value: string) => [...value].length;

function parseName(value: unknown): string {
  if (typeof value !== 'string') throw badUserInput('input.name', 'must be a string');
  const name = value.trim();
  if (name.length === 0) throw badUserInput('input.name', 'must not be blank');
  if (lengthOf(name) > MAX_PARK_NAME_LENGTH) {
    throw badUserInput('input.name', `must be at most ${MAX_PARK_NAME_LENGTH} characters`);
  }
  return name;
}

/** A blank region means "no region": it is stored as null, like an omitted one. */
function parseRegion(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw badUserInput('input.region', 'must be a string');
  const region = value.trim();
  if (lengthOf(region) > MAX_REGION_LENGTH) {
    throw badUserInput('input.region', `must be at most ${MAX_REGION_LENGTH} characters`);
  }
  return region.length === 0 ? null : region;
}

function parseCapacity(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_CAPACITY) {
    throw badUserInput('input.capacity', `must be an integer from 0 to ${MAX_CAPACITY}`);
  }
  return value;
}

export function parseCreateParkInput(input: CreateParkInput): ParkFields {
  return {
    name: parseName(input.name),
    region: parseRegion(input.region),
    capacity: parseCapacity(input.capacity),
  };
}

/**
 * The fields an update changes. An omitted field is kept; an explicit null clears `region` or
 * `capacity` but is refused for the required `name`; an input that changes nothing is refused.
 */
export function parseUpdateParkInput(input: UpdateParkInput): Partial<ParkFields> {
  const changes: Partial<ParkFields> = {};
  if (input.name !== undefined) {
    if (input.name === null) throw badUserInput('input.name', 'cannot be null');
    changes.name = parseName(input.name);
  }
  if (input.region !== undefined) changes.region = parseRegion(input.region);
  if (input.capacity !== undefined) changes.capacity = parseCapacity(input.capacity);
  if (Object.keys(changes).length === 0) throw badUserInput('input', 'must set at least one field');
  return changes;
}
