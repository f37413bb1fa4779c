import type { RequestHandler } from 'express';
import { graphqlSync, Kind, parse, type DocumentNode, type GraphQLSchema, type SelectionNode } from 'graphql';

/*
 * A gateway (Apollo Router, Hive Gateway, rover, @apollo/gateway's IntrospectAndCompose) fetches a
 * subgraph's SDL with `{ _service { sdl } }` and its router secret only: it has no user to act for.
 * With GATEWAY_SECRET set, that one document, and nothing else, is answered to a request that
 * carries the right secret and no caller credentials, here in the HTTP layer: such a request never
 * reaches Apollo, the context builder or a resolver. A request with caller credentials takes the
 * ordinary path (its credentials are verified, `_service` needs an authenticated caller), and so does
 * every request when GATEWAY_SECRET is unset. The SDL reveals nothing that `_service` does not
 * already give every authenticated caller.
 */

const MAX_QUERY_LENGTH = 2_000;

/** The one field of a selection set, if it has exactly one plain field: no alias, argument or directive. */
function onlyPlainField(selections: readonly SelectionNode[]) {
  if (selections.length !== 1) return null;
  const [field] = selections;
  if (field?.kind !== Kind.FIELD || field.alias || field.arguments?.length || field.directives?.length) return null;
  return field;
}

/**
 * Whether `query` is exactly `{ _service { sdl } }`: one query operation (any name, comments and
 * whitespace allowed), no variables, directives, aliases, fragments or other fields.
 */
export function isServiceSdlQuery(query: unknown, operationName?: unknown): boolean {
  if (typeof query !== 'string' || query.length > MAX_QUERY_LENGTH) return false;
  let document: DocumentNode;
  try {
    document = parse(query, { noLocation: true, maxTokens: 64 });
  } catch {
    return false;
  }
  if (document.definitions.length !== 1) return false;
  const [operation] = document.definitions;
  if (operation?.kind !== Kind.OPERATION_DEFINITION || operation.operation !== 'query') return false;
  if (operation.variableDefinitions?.length || operation.directives?.length) return false;
  if (operationName != null && operationName !== operation.name?.value) return false;
  const service = onlyPlainField(operation.selectionSet.selections);
  if (service?.name.value !== '_service' || !service.selectionSet) return false;
  const sdl = onlyPlainField(service.selectionSet.selections);
  return sdl?.name.value === 'sdl' && !sdl.selectionSet;
}

/** Exactly what `_service { sdl }` answers, read from the subgraph schema before permissions wrap it. */
export function subgraphSdl(subgraph: GraphQLSchema): string {
  const result = graphqlSync({ schema: subgraph, source: '{ _service { sdl } }' });
  const sdl = (result.data?._service as { sdl?: unknown } | undefined)?.sdl;
  if (typeof sdl !== 'string') throw new Error('the subgraph schema answers no _service.sdl');
  return sdl;
}

const isEmpty = (value: unknown) =>
  value == null || (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0);

/**
 * Mounted after `requireGatewaySecret` (so the secret is already checked) and the JSON body parser:
 * answers a POST without Authorization or X-API-Key whose document is exactly `{ _service { sdl } }`;
 * passes every other request on, where one without credentials is refused UNAUTHENTICATED as always.
 */
export function serveSdlToGateway(sdl: string): RequestHandler {
  const answer = { data: { _service: { sdl } } };
  return (req, res, next) => {
    if (req.method !== 'POST' || req.get('authorization') !== undefined || req.get('x-api-key') !== undefined) {
      next();
      return;
    }
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      next();
      return;
    }
    const { query, operationName, variables } = body as Record<string, unknown>;
    if (!isEmpty(variables) || !isServiceSdlQuery(query, operationName)) {
      next();
      return;
    }
    res.json(answer);
  };
}
