import { describe, expect, it } from 'vitest';
import { costExtension, withCost } from '../../src/limits/cost-extension.js';

const bucket = { remaining: 990, restoreRate: 50, maximum: 1000, resetSeconds: 1 };

describe('withCost: a result with its cost', () => {
  it('keeps the errors, the data and the extensions another plugin wrote, and adds the cost', () => {
    const errors = [{ message: 'Park not found', extensions: { code: 'NOT_FOUND' } }];
    const result = { errors, data: { park: null }, extensions: { traceId: 'abc' } };
    expect(withCost(result, costExtension(12, 2, bucket))).toEqual({
      errors,
      data: { park: null },
      extensions: {
        traceId: 'abc',
        cost: { requested: 12, actual: 2, remaining: 990, restoreRate: 50, maximum: 1000 },
      },
    });
  });

  it('leaves the result it was given as it was', () => {
    const result = { data: { parks: { nodes: [] } } };
    const answered = withCost(result, costExtension(1, 1, bucket));
    expect(result).toEqual({ data: { parks: { nodes: [] } } });
    expect(JSON.parse(JSON.stringify(answered))).toEqual({
      data: { parks: { nodes: [] } },
      extensions: { cost: { requested: 1, actual: 1, remaining: 990, restoreRate: 50, maximum: 1000 } },
    });
  });
});
