import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createOperationCoster } from '../../src/limits/operation-cost.js';
import { DEFAULT_PLANS, PLAN_NAMES } from '../../src/limits/plans.js';
import { buildSchema } from '../../src/server/schema.js';

const coster = createOperationCoster(buildSchema());

/** Simple operations (CONTRACT section 9): create, change or read one object by id, as a client writes them. */
const SIMPLE = {
  'read a park': '{ park(id: "p") { id name region capacity } }',
  'read a reservation with its park':
    '{ reservation(id: "r") { id visitorName partySize date status park { id name } } }',
  'create a park': 'mutation { createPark(input: { name: "x" }) { id name region capacity } }',
  'change a park': 'mutation { updatePark(id: "p", input: { name: "y" }) { id name } }',
  'create a reservation': `mutation { createReservation(input: { parkId: "p", visitorName: "v", visitorEmail: "v@example.com",
    partySize: 2, date: "2026-01-01" }) { id status } }`,
  'cancel a reservation': 'mutation { cancelReservation(id: "r") { id status } }',
};

/** What each plan must sustain, in simple operations per second and per tenant. */
const SUSTAINED = { free: 50, standard: 200, enterprise: 1000 } as const;

describe('the default plans', () => {
  it.each(PLAN_NAMES)('%s sustains its simple operations per second, whichever they are', (plan) => {
    const costs = Object.values(SIMPLE).map((source) => coster.estimate(parse(source), {}));
    expect(Math.max(...costs) * SUSTAINED[plan]).toBeLessThanOrEqual(DEFAULT_PLANS[plan].restoreRate);
  });

  it('costs a simple operation at most 11 points', () => {
    for (const [name, source] of Object.entries(SIMPLE)) {
      expect(coster.estimate(parse(source), {}), name).toBeLessThanOrEqual(11);
    }
  });

  it('grow from free to enterprise in every limit', () => {
    for (const key of Object.keys(DEFAULT_PLANS.free) as Array<keyof typeof DEFAULT_PLANS.free>) {
      expect(DEFAULT_PLANS.free[key]).toBeLessThan(DEFAULT_PLANS.standard[key]);
      expect(DEFAULT_PLANS.standard[key]).toBeLessThan(DEFAULT_PLANS.enterprise[key]);
    }
  });
});
