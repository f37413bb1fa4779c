import { randomUUID } from 'node:crypto';
import type { ApolloServer } from '@apollo/server';
import express, { type Request, type Response, type Router } from 'express';
import type { GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { ApiKeyPrincipal } from '../auth/principal.js';
import type { RequestContext } from '../context.js';
import { AppError, ErrorCode, isAppError, notFound } from '../errors.js';
import type { Services } from '../services.js';
import { httpHeaderLookup } from '../server/http-headers.js';
import { buildRequestContext, contextFor } from '../server/request-context.js';
import { CACHE_VARY } from './persisted-query-plugin.js';
import { EXPORT_EXTENSIONS, type ExportFormat } from './export-links.js';
import { answerError, formatAppError, sendErrors, streamExport } from './export-run.js';
import { variablesFromSearchParams } from './query-variables.js';
import { toActive } from '../tenancy/active-tenant.js';
import { creatorRolesNow } from './link-creator.js';
import { documentOf, type TrustedOperation } from './trusted-operations.js';

/*
 * GET /bi/<operation>.csv | .ndjson ?<variables>  the rows of a trusted operation for the caller's
 *                                                  credentials (API key or user, X-Tenant-ID as on /graphql)
 * GET /bi/links/<token>.csv | .ndjson              the same through an export link, with no other credential
 */

export interface BiRoutesOptions {
  services: Services;
  apollo: ApolloServer<RequestContext>;
  schema: GraphQLSchema;
}

const FORMAT_OF_EXTENSION: Readonly<Record<string, ExportFormat>> = Object.fromEntries(
  Object.entries(EXPORT_EXTENSIONS).map(([format, extension]) => [extension, format as ExportFormat]),
);

const FILE = /^([_A-Za-z][_0-9A-Za-z]{0,99})\.([a-z]+)$/;
const LINK = /^([\w-]+\.[\w-]+)\.([a-z]+)$/;

/** Every refusal of a link is this one answer: a tampered, expired, revoked or foreign link reveals nothing. */
const linkRefused = (res: Response) =>
  sendErrors(res, [{ message: 'This link is not valid', extensions: { code: ErrorCode.FORBIDDEN } }], 403);

const operationNode = (operation: TrustedOperation) =>
  documentOf(operation).definitions.find(
    (definition): definition is OperationDefinitionNode => definition.kind === 'OperationDefinition',
  );

const searchParams = (req: Request) => new URL(req.originalUrl, 'http://localhost').searchParams;

const attachment = (name: string, format: ExportFormat) =>
  `attachment; filename="${name}.${EXPORT_EXTENSIONS[format]}"`;

export function biRoutes({ services, apollo, schema }: BiRoutesOptions): Router {
  const router = express.Router();
  const { trustedOperations, exportLinks } = services.bi;
  const report = (error: unknown) => services.logger.error({ err: error }, 'unexpected error');

  router.get('/links/:link', async (req, res) => {
    try {
      const match = LINK.exec(req.params.link);
      const claims = match?.[1] ? await exportLinks.verify(match[1]) : null;
      if (!claims || FORMAT_OF_EXTENSION[match?.[2] ?? ''] !== claims.format) {
        linkRefused(res);
        return;
      }
      const tenant = await services.identity.tenantById(claims.tenantId);
      const ctxDb = tenant ? services.database.forTenant(tenant._id) : null;
      const operation = await trustedOperations.byName(ctxDb, claims.operation);
      const held = tenant ? await creatorRolesNow(services.identity, claims.createdBy, tenant._id) : [];
      const roles = claims.roles.filter((role) => held.includes(role));
      if (!tenant || !operation || operation.hash !== claims.hash || roles.length === 0) {
        linkRefused(res);
        return;
      }
      // The link acts as a short-lived key of its tenant, with the roles its creator had at creation and
      // still holds, limited to its one operation, so the persisted-query plugin applies a key's rules.
      const principal: ApiKeyPrincipal = {
        kind: 'apiKey',
        keyId: 'export-link',
        name: `export link of ${claims.createdBy}`,
        tenantId: tenant._id,
        roles,
        grantorId: null, // its roles were checked against its creator's just above
        expiresAt: new Date(claims.expiresAt * 1000),
        operations: [claims.operation],
      };
      const ctx = contextFor(services, {
        requestId: randomUUID(),
        principal,
        tenant: toActive(tenant),
        roles: new Set(roles),
      });
      await streamExport(apollo, schema, res, {
        ctx,
        operation,
        variables: claims.variables ?? {},
        format: claims.format,
        // The URL is the credential: no cache keeps what it returned past the request.
        headers: {
          'cache-control': 'no-store',
          'referrer-policy': 'no-referrer',
          'content-disposition': attachment(operation.name, claims.format),
        },
      });
    } catch (error) {
      answerError(res, error, report);
    }
  });

  router.get('/:file', async (req, res) => {
    try {
      const match = FILE.exec(req.params.file);
      const format = FORMAT_OF_EXTENSION[match?.[2] ?? ''];
      if (!match?.[1] || !format) throw notFound('Export');
      let ctx: RequestContext;
      try {
        ctx = await buildRequestContext(services, httpHeaderLookup(req));
      } catch (error) {
        if (isAppError(error)) {
          sendErrors(res, [formatAppError(error)]);
          return;
        }
        throw error;
      }
      const operation = await trustedOperations.byName(ctx.db, match[1]);
      const node = operation && operationNode(operation);
      if (!operation || !node)
        throw new AppError(ErrorCode.PERSISTED_QUERY_NOT_FOUND, `No trusted operation ${match[1]}`);
      const variables = variablesFromSearchParams(schema, node, searchParams(req));
      await streamExport(apollo, schema, res, {
        ctx,
        operation,
        variables,
        format,
        headers: {
          'cache-control': `private, max-age=${services.config.biCacheMaxAgeSeconds}`,
          vary: CACHE_VARY,
          'content-disposition': attachment(operation.name, format),
        },
      });
    } catch (error) {
      answerError(res, error, report);
    }
  });

  return router;
}
