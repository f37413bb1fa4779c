import {
  getNullableType,
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
import { badUserInput } from '../errors.js';

/*
 * Variables of `GET /bi/<operation>.csv?from=2026-01-01&first=50`: every query parameter names a
 * variable the operation declares (another name is a typo, refused rather than ignored), and its text
 * is read by the variable's type: Int, Float and Boolean as numbers and booleans, input objects and the
 * JSON scalar as JSON, a list from the parameter repeated (`?id=a&id=b`), anything else (String, ID,
 * Date, DateTime, enums) as the text itself. GraphQL then checks the values as for any request.
 */

const INT = /^-?\d{1,16}$/;

function readOne(type: GraphQLInputType, name: string, text: string): unknown {
  const nullable = getNullableType(type);
  if (isListType(nullable) || isInputObjectType(nullable) || (isScalarType(nullable) && nullable.name === 'JSON')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw badUserInput(name, 'must be JSON');
    }
  }
  if (isScalarType(nullable)) {
    switch (nullable.name) {
      case 'Int':
        if (!INT.test(text)) throw badUserInput(name, 'must be an integer');
        return Number(text);
      case 'Float': {
        const value = Number(text);
        if (text.trim() === '' || !Number.isFinite(value)) throw badUserInput(name, 'must be a number');
        return value;
      }
      case 'Boolean':
        if (text !== 'true' && text !== 'false') throw badUserInput(name, 'must be true or false');
        return text === 'true';
      default:
        return text;
    }
  }
  if (isEnumType(nullable)) return text;
  throw badUserInput(name, 'cannot be given in a URL');
}

/** The variables of `operation` from the parameters of a URL; BAD_USER_INPUT naming the first bad one. */
export function variablesFromSearchParams(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  params: URLSearchParams,
): Record<string, unknown> {
  const declared = new Map(
    (operation.variableDefinitions ?? []).map((definition) => [definition.variable.name.value, definition]),
  );
  for (const name of new Set(params.keys())) {
    if (!declared.has(name))
      throw badUserInput(name, `is not a variable of ${operation.name?.value ?? 'the operation'}`);
  }
  const variables: Record<string, unknown> = {};
  for (const [name, definition] of declared) {
    const texts = params.getAll(name);
    if (texts.length === 0) continue;
    const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
    if (!type) throw badUserInput(name, 'has an unknown type');
    const nullable = isNonNullType(type) ? type.ofType : type;
    if (isListType(nullable) && !(texts.length === 1 && texts[0]?.startsWith('['))) {
      variables[name] = texts.map((text) => readOne(nullable.ofType, name, text));
    } else if (texts.length > 1) {
      throw badUserInput(name, 'is given more than once');
    } else {
      variables[name] = readOne(type, name, texts[0] ?? '');
    }
  }
  return variables;
}
