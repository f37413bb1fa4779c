import { GraphQLError, getOperationAST, isUnionType, Kind, type DocumentNode, type GraphQLSchema } from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { AppError, ErrorCode } from '../errors.js';
import { costEstimator, operationShape, type OperationShape } from './cost-model.js';
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

/** Whether the operation chosen in a document declares no variables: its cost is then the document's alone. */
const withoutVariables = (document: DocumentNode, operationName: string | undefined): boolean =>
  getOperationAST(document, operationName)?.variableDefinitions?.length === 0;

export function createOperationCoster(schema: GraphQLSchema): OperationCoster {
  const estimators = [checkingRepresentations(schema, costEstimator(schema))];
  /**
   * The cost of operations without variables, by document and operation name: the server keeps one
   * parsed document per distinct text (Apollo's document store), so the same query sent again is
   * costed once, not walked again on every request.
   */
  const known = new WeakMap<DocumentNode, Map<string, number>>();
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
      const byName = known.get(document);
      const name = operationName ?? '';
      const cost = byName?.get(name);
      if (cost !== undefined) return cost;
      const computed = compute(document, variables, operationName);
      if (withoutVariables(document, operationName)) {
        if (byName) byName.set(name, computed);
        else known.set(document, new Map([[name, computed]]));
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
