import {
  getNamedType,
  isCompositeType,
  isListType,
  isNonNullType,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import type { ComplexityEstimator } from 'graphql-query-complexity';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../modules/pagination.js';

/**
 * THE COST MODEL: the one place that says what an operation costs, in points. It follows the
 * defaults of the IBM GraphQL Cost Specification (https://ibm.github.io/graphql-specs/cost-spec.html):
 *
 * - a field that returns an object costs OBJECT_WEIGHT, a scalar or enum field nothing;
 * - a root mutation field costs MUTATION_WEIGHT more (a write is dearer than a read);
 * - a field with the slicing argument `first` (`@listSize(slicingArguments: ["first"])`) returns a
 *   page (a connection): the page costs OBJECT_WEIGHT, and its selection counts once per item. `first` counts as the server will
 *   serve it, from a literal or a variable alike: clamped to MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE when
 *   absent. The `edges` and `nodes` of a connection are its sized fields: they do not multiply again.
 *   The page size also multiplies `pageInfo`, a small overestimate kept for simplicity;
 * - `_entities` counts once per representation, each with the selection of its type;
 * - any other list field counts ASSUMED_LIST_SIZE items (`@listSize(assumedSize:)`) unless
 *   ASSUMED_SIZES names it;
 * - introspection (`__schema`, `__type` and their types) costs nothing: it is bounded by the schema.
 *
 * The actual cost, measured after execution (`actualCost`), counts the objects of the response with
 * the same weights, so the estimate is an upper bound of it and the difference is refunded.
 */
export const OBJECT_WEIGHT = 1;
export const MUTATION_WEIGHT = 10;
export const SLICING_ARGUMENT = 'first';
export const ASSUMED_LIST_SIZE = 10;

/** List fields whose size is known better than ASSUMED_LIST_SIZE, as `Type.field`. */
export const ASSUMED_SIZES: Readonly<Record<string, number>> = {
  // Grouped by park or by month: a tenant's parks, or the months of the range asked.
  'Query.reservationStats': 100,
  // One entry per hour of a range of at most 31 days.
  'Query.usage': 744,
};

/** The fields of a connection type that its page size already counts (`@listSize(sizedFields:)`). */
const SIZED_FIELDS: ReadonlySet<string> = new Set(['edges', 'nodes']);

const ENTITIES_FIELD = '_entities';

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

/** `first` as the resolvers will apply it (src/modules/pagination.ts). */
export function pageSize(first: unknown): number {
  if (typeof first !== 'number' || !Number.isFinite(first)) return DEFAULT_PAGE_SIZE;
  return Math.min(Math.max(Math.trunc(first), 0), MAX_PAGE_SIZE);
}

const isPaged = (field: GraphQLField<unknown, unknown>) => field.args.some((arg) => arg.name === SLICING_ARGUMENT);

/** Items of a list field that is not paged (1 for a field that is not a list). */
function listSize(parentName: string, field: GraphQLField<unknown, unknown>): number {
  if (!isList(field.type)) return 1;
  if (parentName.endsWith('Connection') && SIZED_FIELDS.has(field.name)) return 1;
  return ASSUMED_SIZES[`${parentName}.${field.name}`] ?? ASSUMED_LIST_SIZE;
}

/** The estimator graphql-query-complexity applies to every field of an operation. */
export function costEstimator(schema: GraphQLSchema): ComplexityEstimator {
  const mutationType = schema.getMutationType();
  return ({ type, field, args, childComplexity }) => {
    const named = getNamedType(field.type);
    if (field.name.startsWith('__') || named.name.startsWith('__')) return 0;
    const own = isCompositeType(named) ? OBJECT_WEIGHT : 0;
    if (field.name === ENTITIES_FIELD) {
      const representations = Array.isArray(args.representations) ? args.representations.length : 0;
      return representations * (own + childComplexity);
    }
    const mutation = type === mutationType ? MUTATION_WEIGHT : 0;
    if (isPaged(field)) return mutation + own + pageSize(args[SLICING_ARGUMENT]) * childComplexity;
    return mutation + listSize(type.name, field) * (own + childComplexity);
  };
}

/**
 * The actual cost of a response: its objects with the weights above, plus MUTATION_WEIGHT per root
 * field of a mutation. Never more than the estimate of the same operation.
 */
export function actualCost(data: unknown, isMutation: boolean): number {
  if (data === null || typeof data !== 'object') return 0;
  let cost = 0;
  const fields = data as Record<string, unknown>;
  for (const name in fields) {
    if (isMutation) cost += MUTATION_WEIGHT;
    cost += objectsIn(fields[name]);
  }
  return cost;
}

/**
 * The objects in a value of a response, counted on every response: loops over the keys and items in
 * place, with no array made per object (as `Object.values` would) nor a closure per list.
 */
function objectsIn(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) count += objectsIn(value[index]);
    return count;
  }
  count = OBJECT_WEIGHT;
  const fields = value as Record<string, unknown>;
  for (const name in fields) {
    const child = fields[name];
    if (child !== null && typeof child === 'object') count += objectsIn(child);
  }
  return count;
}
