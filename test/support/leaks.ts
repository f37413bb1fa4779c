import { expect } from 'vitest';

/**
 * What must never reach a client, in any error: a stack trace, Apollo's `exception` extension, or
 * text of the MongoDB driver or of the database server.
 */
export const LEAK = /stacktrace|"exception"|\bat [\w.<>]+ \(|Mongo|ECONNREFUSED|server selection|topology|\.ts:\d+/i;

export function expectNoLeak(body: unknown) {
  expect(typeof body === 'string' ? body : JSON.stringify(body)).not.toMatch(LEAK);
}
