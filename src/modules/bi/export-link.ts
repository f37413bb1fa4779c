import { getVariableValues, Kind, type GraphQLSchema } from 'graphql';
import type { ExportFormat } from '../../bi/export-links.js';
import { OperationDocumentError } from '../../bi/manifest.js';
import { safelistOf } from '../../bi/safelist.js';
import { tabularShape } from '../../bi/tabular.js';
import type { RequestContext } from '../../context.js';
import { badUserInput, forbidden } from '../../errors.js';
import { stripSuggestions } from '../../limits/hide-suggestions.js';
import { requireTenant } from '../tenant-db-of.js';
import { isRecord } from '../../bi/is-record.js';
import { documentOf } from '../../bi/trusted-operations.js';

/** Characters of a link's variables as JSON at most: they travel in the URL. */
export const MAX_LINK_VARIABLES_LENGTH = 2_000;

export interface ExportLinkArgs {
  operationName: string;
  variables?: unknown;
  format: ExportFormat;
  ttlSeconds: number;
}

/**
 * The trusted operation and variables of an export (a link or an export job), checked for everything a
 * run could fail on that is known now: the operation exists, the caller may run it, it exports rows,
 * the variables coerce to its variable types.
 */
export async function checkedExport(
  ctx: RequestContext,
  schema: GraphQLSchema,
  operationName: string,
  given: unknown,
  field = { operation: 'operationName', variables: 'variables' },
) {
  const { operations } = requireTenant(ctx.bi);
  const operation = await operations.byName(operationName);
  if (!operation) throw badUserInput(field.operation, 'does not name a trusted operation of this tenant');
  const allowed = safelistOf(ctx.principal).operations;
  if (allowed && !allowed.has(operation.name)) throw forbidden(`This API key may not run ${operation.name}`);
  const variables = given ?? null;
  if (variables !== null && !isRecord(variables)) throw badUserInput(field.variables, 'must be an object');
  const document = documentOf(operation);
  try {
    tabularShape(schema, document);
  } catch (error) {
    if (error instanceof OperationDocumentError)
      throw badUserInput(field.operation, `${operation.name} ${error.message}`);
    throw error;
  }
  const definition = document.definitions.find((node) => node.kind === Kind.OPERATION_DEFINITION);
  const coerced = getVariableValues(schema, definition?.variableDefinitions ?? [], variables ?? {});
  if (coerced.errors)
    throw badUserInput(field.variables, stripSuggestions(coerced.errors[0]?.message ?? 'do not fit the operation'));
  return { operation, variables };
}

/**
 * A signed link to the rows of a trusted operation (see src/bi/export-links.ts). Everything a use of the
 * link could fail on that is known now is checked now (checkedExport), and the lifetime is within
 * EXPORT_LINK_MAX_TTL_SECONDS.
 */
export async function createExportLink(ctx: RequestContext, schema: GraphQLSchema, args: ExportLinkArgs) {
  const { links } = requireTenant(ctx.bi);
  const max = links.maxTtlSeconds;
  if (!Number.isInteger(args.ttlSeconds) || args.ttlSeconds < 1 || args.ttlSeconds > max) {
    throw badUserInput('ttlSeconds', `must be an integer from 1 to ${max}`);
  }
  const { operation, variables } = await checkedExport(ctx, schema, args.operationName, args.variables);
  if (JSON.stringify(variables ?? {}).length > MAX_LINK_VARIABLES_LENGTH) {
    throw badUserInput('variables', `must be at most ${MAX_LINK_VARIABLES_LENGTH} characters of JSON`);
  }
  const expiresAt = Math.floor(Date.now() / 1000) + args.ttlSeconds;
  const url = await links.create({
    operation: operation.name,
    hash: operation.hash,
    variables,
    format: args.format,
    expiresAt,
  });
  return { url, expiresAt: new Date(expiresAt * 1000).toISOString() };
}
