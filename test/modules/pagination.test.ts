import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  afterIdFilter,
  decodeCursor,
  encodeCursor,
  parsePageArgs,
  toConnection,
} from '../../src/modules/pagination.js';

const ids = Array.from({ length: 5 }, (_, i) => `65a1b2c3d4e5f60718293a4${i}`);
const docs = ids.map((_id) => ({ _id }));

function expectBadInput(run: () => unknown, field: string) {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    return;
  }
  throw new Error('expected BAD_USER_INPUT');
}

describe('parsePageArgs', () => {
  it('defaults first to 20 and starts at the beginning', () => {
    expect(parsePageArgs({})).toEqual({ first: DEFAULT_PAGE_SIZE, afterId: null });
    expect(parsePageArgs({ first: null, after: null })).toEqual({ first: 20, afterId: null });
  });

  it('clamps first to 100', () => {
    expect(parsePageArgs({ first: 5000 }).first).toBe(MAX_PAGE_SIZE);
    expect(parsePageArgs({ first: 100 }).first).toBe(100);
    expect(parsePageArgs({ first: 0 }).first).toBe(0);
  });

  it('refuses a negative or fractional first', () => {
    expectBadInput(() => parsePageArgs({ first: -1 }), 'first');
    expectBadInput(() => parsePageArgs({ first: 1.5 }), 'first');
  });

  it('decodes a cursor it issued into the raw id', () => {
    const [id] = ids as [string];
    expect(parsePageArgs({ first: 2, after: encodeCursor(id) })).toEqual({ first: 2, afterId: id });
  });

  it.each([
    ['garbage', 'not a cursor!'],
    ['an empty string', ''],
    ['a raw id', ids[0]],
    ['a cursor of something else', Buffer.from('{"$gt":""}').toString('base64url')],
    ['a global id', Buffer.from(`Park:${ids[0]}`).toString('base64url')],
  ])('refuses %s as after', (_label, after) => {
    expectBadInput(() => parsePageArgs({ after }), 'after');
  });
});

describe('cursors', () => {
  it('are opaque and round-trip', () => {
    const [id] = ids as [string];
    const cursor = encodeCursor(id);
    expect(cursor).not.toContain(id);
    expect(decodeCursor(cursor)).toBe(id);
  });

  it('afterIdFilter starts strictly after the cursor', () => {
    expect(afterIdFilter(null)).toEqual({});
    expect(afterIdFilter('x')).toEqual({ _id: { $gt: 'x' } });
  });
});

describe('toConnection', () => {
  it('uses the extra document only to report a next page', () => {
    const page = toConnection(docs.slice(0, 3), 2);
    expect(page.nodes).toEqual(docs.slice(0, 2));
    expect(page.edges.map((edge) => edge.node)).toEqual(docs.slice(0, 2));
    expect(page.edges.map((edge) => decodeCursor(edge.cursor))).toEqual(ids.slice(0, 2));
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: encodeCursor(ids[1] ?? '') });
  });

  it('reports the last page', () => {
    const page = toConnection(docs.slice(3), 2);
    expect(page.nodes).toHaveLength(2);
    expect(page.pageInfo.hasNextPage).toBe(false);
  });

  it('handles an empty page and first = 0', () => {
    expect(toConnection([], 20)).toEqual({ edges: [], nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
    expect(toConnection(docs.slice(0, 1), 0).pageInfo).toEqual({ hasNextPage: true, endCursor: null });
  });
});
