import type { Filter, FindOptions } from '../data/documents.js';
import { isId } from '../data/ids.js';
import { badUserInput } from '../errors.js';

export const DEFAULT_PAGE_SIZE = 20;
/**
 * The largest page served. The cost rule only sees literal `first` values, so a variable could ask for
 * more; clamping here is what actually bounds a page.
 */
export const MAX_PAGE_SIZE = 100;

/** The `first`/`after` arguments of a connection field, as GraphQL hands them over. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/** Validated page arguments: `afterId` is the raw `_id` the page starts after. */
export interface PageRequest {
  first: number;
  afterId: string | null;
}

export interface Edge<TNode> {
  cursor: string;
  node: TNode;
}

export interface Connection<TNode> {
  edges: Array<Edge<TNode>>;
  nodes: TNode[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/**
 * The `_id` inside a cursor, or null when the cursor is not one this server issued. Stored ids sort by
 * creation time, so a cursor is simply the id of the last document of its page.
 */
export function decodeCursor(cursor: string): string | null {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  return isId(id) && encodeCursor(id) === cursor ? id : null;
}

export function parsePageArgs(args: PageArgs): PageRequest {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first)) throw badUserInput('first', 'must be an integer');
  if (first < 0) throw badUserInput('first', 'must be ≥ 0');
  const clamped = Math.min(first, MAX_PAGE_SIZE);
  if (args.after === undefined || args.after === null) return { first: clamped, afterId: null };
  const afterId = decodeCursor(args.after);
  if (afterId === null) throw badUserInput('after', 'is not a valid cursor');
  return { first: clamped, afterId };
}

/** The filter that starts a page after `afterId` in `_id` order; merge it into the page's query. */
export function afterIdFilter(afterId: string | null): { _id?: { $gt: string } } {
  return afterId === null ? {} : { _id: { $gt: afterId } };
}

/**
 * A connection from up to `first + 1` documents in `_id` order: the extra one, when present, only
 * says that another page exists.
 */
export function toConnection<TNode extends { _id: string }>(
  fetched: readonly TNode[],
  first: number,
): Connection<TNode> {
  const nodes = fetched.slice(0, first);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(node._id), node }));
  return {
    edges,
    nodes,
    pageInfo: { hasNextPage: fetched.length > first, endCursor: edges.at(-1)?.cursor ?? null },
  };
}

/** The part of a collection a page is read from. */
export interface PageSource<TNode> {
  find(filter: Filter, options?: FindOptions): Promise<TNode[]>;
}

/** One page of the documents matching `filter` (which must not constrain `_id`), in creation order. */
export async function findPage<TNode extends { _id: string }>(
  source: PageSource<TNode>,
  filter: Filter,
  args: PageArgs,
): Promise<Connection<TNode>> {
  const { first, afterId } = parsePageArgs(args);
  const fetched = await source.find({ ...filter, ...afterIdFilter(afterId) }, { sort: { _id: 1 }, limit: first + 1 });
  return toConnection(fetched, first);
}
