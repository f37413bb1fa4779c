import { GraphQLError, isUnionType, Kind, type DocumentNode, type GraphQLSchema } from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { AppError, ErrorCode } from '../errors.js';
import { costEstimator, costVariables, operationShape, type OperationShape } from './cost-model.js';
import { stripSuggestions } from './hide-suggestions.js';
import { worstCaseVariables } from './worst-case-variables.js';

/**
 * Fields an operation may evaluate at most while it is costed (fragments spread many times count
 * each time): a document that asks more is refused before any arithmetic on its size.
 */
const MAX_COSTED_NODES = 10_000;

/** The error of an operation costlier than its plan allows: it names both figures. */
export const overMaximumCost = (cost: number, maximum: number) =>
  new AppError(ErrorCode.BAD_USER_INPUT, `Operation cost ${cost} exceeds the maximum of ${maximum} per operation`, {
    cost,
    maximumCost: maximum,
  });

/**
 * Checks the representations `_entities` is given before any of them is resolved: each must name an
 * entity of this subgraph and carry its key `id` as a string.
 */
function checkingRepresentations(schema: GraphQLSchema, estimate: ComplexityEstimator): ComplexityEstimator {
  const union = schema.getType('_Entity');
  const entities = new Set(isUnionType(union) ? union.getTypes().map((type) => type.name) : []);
  return (options) => {
    if (options.field.name === '_entities') {
      const representations: unknown = options.args.representations;
      for (const [index, representation] of (Array.isArray(representations) ? representations : []).entries()) {
        const { __typename: typename, id } = (representation ?? {}) as Record<string, unknown>;
        const field = `representations[${index}]`;
        if (typeof typename !== 'string' || !entities.has(typename)) {
          throw new AppError(ErrorCode.BAD_USER_INPUT, `${field}.__typename is not an entity of this service`, {
            field,
          });
        }
        if (typeof id !== 'string') {
          throw new AppError(ErrorCode.BAD_USER_INPUT, `${field}.id must be a string`, { field });
        }
      }
    }
    return estimate(options);
  };
}

export interface OperationCoster {
  /**
   * The estimated cost of the operation with these variables (src/limits/cost-model.ts). Throws
   * BAD_USER_INPUT when the variables do not fit the operation, or a representation is not one this
   * subgraph serves.
   */
  estimate(document: DocumentNode, variables: Record<string, unknown> | undefined, operationName?: string): number;
  /** The cost of a one-operation document with the costliest variables a caller could send. */
  worstCase(document: DocumentNode): number;
  /** Where the operation's response can hold objects, to count its actual cost (null: no such operation). */
  shape(document: DocumentNode, operationName?: string): OperationShape | null;
}

/** Costs kept per document and operation name, one per distinct value of its cost variables (the oldest goes first). */
const COSTS_PER_OPERATION = 32;
/**
 * Values of the cost variables longer than this (more than a few representations, which a gateway
 * sends different every time) are costed on every request, not kept: a document keeps at most
 * COSTS_PER_OPERATION × this many characters per operation.
 */
const MAX_KEY_LENGTH = 256;

/** The costs of a document's operations already worked out: by operation name, then by the values of its cost variables. */
interface KnownCosts {
  /** The document's cost variables (`costVariables`). */
  readonly variables: readonly string[];
  readonly byOperation: Map<string, Map<string, number>>;
}

/**
 * The values of the cost variables as a key, each as JSON (which holds no line break) on a line of
 * its own, an absent variable as an empty line; null when a value has no JSON text (an in-process
 * caller's) or the key is too long to keep.
 */
function costKey(names: readonly string[], variables: Record<string, unknown> | undefined): string | null {
  let key = '';
  for (let index = 0; index < names.length; index += 1) {
    const value = variables?.[names[index]!];
    let text = '';
    if (value !== undefined) {
      try {
        text = JSON.stringify(value) ?? '';
      } catch {
        return null;
      }
      if (text === '') return null;
    }
    key += index === 0 ? text : `\n${text}`;
    if (key.length > MAX_KEY_LENGTH) return null;
  }
  return key;
}

export function createOperationCoster(schema: GraphQLSchema): OperationCoster {
  const estimators = [checkingRepresentations(schema, costEstimator(schema))];
  /**
   * The costs of operations by document and operation name, and by the values of their cost
   * variables: the server keeps one parsed document per distinct text (Apollo's document store), so
   * the same query sent again, with the same page sizes, is costed once, not walked again on every
   * request (about 18 µs for a page of parks with `$first` and `$after`). Variables that size nothing
   * (an id, a cursor) do not change it; their values are checked against their types at execution,
   * before anything executes, as for any operation.
   */
  const known = new WeakMap<DocumentNode, KnownCosts>();
  const knownCostsOf = (document: DocumentNode): KnownCosts => {
    let costs = known.get(document);
    if (!costs) {
      costs = { variables: costVariables(document), byOperation: new Map() };
      known.set(document, costs);
    }
    return costs;
  };
  /** The shapes of operations, by document and operation name: they do not depend on the variables. */
  const shapes = new WeakMap<DocumentNode, Map<string, OperationShape | null>>();
  const compute = (document: DocumentNode, variables: Record<string, unknown> | undefined, operationName?: string) => {
    try {
      return getComplexity({
        schema,
        query: document,
        variables: variables ?? {},
        ...(operationName ? { operationName } : {}),
        estimators,
        maxQueryNodes: MAX_COSTED_NODES,
      });
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof GraphQLError) throw new AppError(ErrorCode.BAD_USER_INPUT, stripSuggestions(error.message));
      throw error;
    }
  };
  return {
    estimate(document, variables, operationName) {
      const ofDocument = knownCostsOf(document);
      const name = operationName ?? '';
      const key = costKey(ofDocument.variables, variables);
      let costs = ofDocument.byOperation.get(name);
      const cost = key === null ? undefined : costs?.get(key);
      if (cost !== undefined) return cost;
      const computed = compute(document, variables, operationName);
      if (key !== null) {
        if (!costs) {
          costs = new Map();
          ofDocument.byOperation.set(name, costs);
        }
        if (costs.size >= COSTS_PER_OPERATION) costs.delete(costs.keys().next().value!);
        costs.set(key, computed);
      }
      return computed;
    },
    shape(document, operationName) {
      let byName = shapes.get(document);
      if (!byName) {
        byName = new Map();
        shapes.set(document, byName);
      }
      const name = operationName ?? '';
      let shape = byName.get(name);
      if (shape === undefined) {
        shape = operationShape(document, operationName);
        byName.set(name, shape);
      }
      return shape;
    },
    worstCase(document) {
      const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
      return operation ? this.estimate(document, worstCaseVariables(schema, operation)) : 0;
    },
  };
}
