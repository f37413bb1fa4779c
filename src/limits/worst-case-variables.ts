import {
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  typeFromAST,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { MAX_PAGE_SIZE } from '../modules/pagination.js';

/** Values tried for a custom scalar until its parser accepts one (Date, DateTime, JSON, …). */
const SCALAR_SAMPLES: readonly unknown[] = ['2000-01-01', '2000-01-01T00:00:00.000Z', 'x', 0, {}];

function sample(type: GraphQLInputType): unknown {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return [];
  if (isEnumType(inner)) return inner.getValues()[0]?.value;
  if (isInputObjectType(inner)) {
    const fields = Object.values(inner.getFields()).filter((field) => isNonNullType(field.type));
    return Object.fromEntries(fields.map((field) => [field.name, sample(field.type)]));
  }
  if (!isScalarType(inner)) return null;
  if (inner.name === 'Int') return MAX_PAGE_SIZE;
  if (inner.name === 'Float') return 0;
  if (inner.name === 'Boolean') return false;
  if (inner.name === 'String' || inner.name === 'ID') return 'x';
  return SCALAR_SAMPLES.find((value) => {
    try {
      inner.parseValue(value);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Variables that make an operation as costly as any caller can make it: every Int is the largest page
 * size (a `first: $n` counts as a full page), every other variable a valid value of its type. How a
 * trusted operation is costed when registered, before anyone sends it variables.
 */
export function worstCaseVariables(schema: GraphQLSchema, operation: OperationDefinitionNode): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
    if (type) variables[definition.variable.name.value] = sample(type);
  }
  return variables;
}
