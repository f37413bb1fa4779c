import {
  getNamedType,
  getOperationAST,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
  isCompositeType,
  isListType,
  isNonNullType,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
  visit,
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
 * the same weights, where the operation selects objects (`operationShape`), so the estimate is an
 * upper bound of it and the difference is refunded.
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

/** The directives whose `if` decides whether a selection is counted at all. */
const CONDITIONAL_DIRECTIVES: ReadonlySet<string> = new Set(['skip', 'include']);

/**
 * The variables an operation's estimate can depend on, by name, sorted: those in a page size
 * (SLICING_ARGUMENT), in the arguments of `_entities` (its representations), or in the condition of
 * `@skip` or `@include`, anywhere in the document. No other variable changes what the model above
 * counts, so two requests of a document whose values of these agree cost the same.
 */
export function costVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  const collect = (value: ValueNode) =>
    visit(value, {
      Variable(variable) {
        names.add(variable.name.value);
      },
    });
  visit(document, {
    Field(field) {
      for (const argument of field.arguments ?? []) {
        if (field.name.value === ENTITIES_FIELD || argument.name.value === SLICING_ARGUMENT) collect(argument.value);
      }
    },
    Directive(directive) {
      if (!CONDITIONAL_DIRECTIVES.has(directive.name.value)) return;
      for (const argument of directive.arguments ?? []) collect(argument.value);
    },
  });
  return [...names].sort();
}

/**
 * Where a response can hold objects: the response keys of an operation's fields that select fields of
 * their own (objects, lists of objects, connections), each with the same for its selection. Scalar,
 * enum and introspection fields are left out: they cost nothing. The fields of a response key are merged
 * across fragments, inline fragments and type conditions; a key absent from a response (skipped, or of
 * another type) counts nothing.
 */
export interface ResponseShape {
  readonly keys: readonly string[];
  readonly children: readonly ResponseShape[];
}

/** What the actual cost of an operation's response is counted from: its shape, and its root fields' weight. */
export interface OperationShape {
  readonly root: ResponseShape;
  /** The response keys of the root fields, each MUTATION_WEIGHT in a mutation's response. */
  readonly rootKeys: readonly string[];
  readonly rootWeight: number;
}

type Fragments = ReadonlyMap<string, FragmentDefinitionNode>;

/** The fields a selection set selects, through inline fragments and fragment spreads (a fragment once per path). */
function* fieldsOf(
  selectionSet: SelectionSetNode,
  fragments: Fragments,
  spread = new Set<string>(),
): Generator<FieldNode> {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) yield selection;
    else if (selection.kind === Kind.INLINE_FRAGMENT) yield* fieldsOf(selection.selectionSet, fragments, spread);
    else {
      const fragment = fragments.get(selection.name.value);
      if (fragment && !spread.has(fragment.name.value)) {
        yield* fieldsOf(fragment.selectionSet, fragments, new Set([...spread, fragment.name.value]));
      }
    }
  }
}

const isIntrospection = (field: FieldNode) => field.name.value.startsWith('__');
const responseKeyOf = (field: FieldNode) => field.alias?.value ?? field.name.value;

/** The shape of the fields these selection sets select together (one response key's). */
function shapeOf(selectionSets: readonly SelectionSetNode[], fragments: Fragments): ResponseShape {
  const byKey = new Map<string, SelectionSetNode[]>();
  for (const selectionSet of selectionSets) {
    for (const field of fieldsOf(selectionSet, fragments)) {
      if (!field.selectionSet || isIntrospection(field)) continue;
      const key = responseKeyOf(field);
      const sets = byKey.get(key);
      if (sets) sets.push(field.selectionSet);
      else byKey.set(key, [field.selectionSet]);
    }
  }
  return { keys: [...byKey.keys()], children: [...byKey.values()].map((sets) => shapeOf(sets, fragments)) };
}

/** The shape of the operation `operationName` of a document (the only one when absent), or null when there is none. */
export function operationShape(document: DocumentNode, operationName?: string): OperationShape | null {
  const operation = getOperationAST(document, operationName);
  if (!operation) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return {
    root: shapeOf([operation.selectionSet], fragments),
    rootKeys: [
      ...new Set(
        [...fieldsOf(operation.selectionSet, fragments)].filter((field) => !isIntrospection(field)).map(responseKeyOf),
      ),
    ],
    rootWeight: operation.operation === 'mutation' ? MUTATION_WEIGHT : 0,
  };
}

/**
 * The actual cost of a response: its objects with the weights above, plus MUTATION_WEIGHT per root
 * field of a mutation answered. It reads only where the operation's shape says objects can be, by
 * key, and never enumerates an object's fields (graphql-js builds them without a prototype, as
 * dictionaries, slow to enumerate). Never more than the estimate of the same operation.
 */
export function actualCost(shape: OperationShape, data: unknown): number {
  if (data === null || typeof data !== 'object') return 0;
  const fields = data as Record<string, unknown>;
  let cost = 0;
  if (shape.rootWeight > 0) {
    for (const key of shape.rootKeys) if (fields[key] !== undefined) cost += shape.rootWeight;
  }
  const { keys, children } = shape.root;
  for (let index = 0; index < keys.length; index += 1) cost += objectsIn(fields[keys[index]!], children[index]!);
  return cost;
}

/** The objects in a value of a response, of this shape: loops in place, with no array or closure made. */
function objectsIn(value: unknown, shape: ResponseShape): number {
  if (value === null || typeof value !== 'object') return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) count += objectsIn(value[index], shape);
    return count;
  }
  count = OBJECT_WEIGHT;
  const fields = value as Record<string, unknown>;
  const { keys, children } = shape;
  for (let index = 0; index < keys.length; index += 1) count += objectsIn(fields[keys[index]!], children[index]!);
  return count;
}
