import { describe, expect, it } from 'vitest';
import { isDuplicateKeyError } from '../../src/data/errors.js';

describe('isDuplicateKeyError', () => {
  it('recognises the server code 11000 and nothing else', () => {
    expect(isDuplicateKeyError(Object.assign(new Error('E11000'), { code: 11000 }))).toBe(true);
    expect(isDuplicateKeyError(Object.assign(new Error('other'), { code: 112 }))).toBe(false);
    expect(isDuplicateKeyError(new Error('E11000 duplicate key'))).toBe(false);
    expect(isDuplicateKeyError(null)).toBe(false);
    expect(isDuplicateKeyError('E11000')).toBe(false);
  });
});
