import { randomUUID } from 'node:crypto';
import type { ApolloServer } from '@apollo/server';
import express, { type Request, type Response, type Router } from 'express';
import type { GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { ExportLinkPrincipal } from '../auth/principal.js';
import { EXPORT_EXTENSIONS, type ExportFormat } from '../bi/export-links.js';
import { creatorRolesNow } from '../bi/link-creator.js';
import { variablesFromSearchParams } from '../bi/query-variables.js';
import { documentOf, type TrustedOperation } from '../bi/trusted-operations.js';
import type { RequestContext } from '../context.js';
import { AppError, ErrorCode, notFound } from '../errors.js';
import type { Services } from '../services.js';
import { httpHeaderLookup } from './http-headers.js';
import { toActive } from '../tenancy/active-tenant.js';
import { answerError, sendErrors, streamExport } from './bi-export.js';
import { CACHE_VARY } from './plugins/revalidation.js';
import { buildRequestContext, contextFor } from './request-context.js';

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
  sendErrors(res, [{ message: 'This link is not valid', extensions: { code: ErrorCode.FORBIDDEN } }]);

const operationNode = (operation: TrustedOperation) =>
  documentOf(operation).definitions.find(
    (definition): definition is OperationDefinitionNode => definition.kind === 'OperationDefinition',
  );

const searchParams = (req: Request) => new URL(req.originalUrl, 'http://localhost').searchParams;

const attachment = (name: string, format: ExportFormat) =>
  `attachment; filename="${name}.${EXPORT_EXTENSIONS[format]}"`;

export function biRoutes({ services, apollo, schema }: BiRoutesOptions): Router {
  const router = express.Router();
  const { exportLinks } = services.bi;
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
      const held = tenant ? await creatorRolesNow(services.identity, claims.createdBy, tenant._id) : [];
      const roles = claims.roles.filter((role) => held.includes(role));
      // A suspended tenant's links stop working with it (and work again when it resumes).
      if (!tenant || tenant.suspendedAt || roles.length === 0) {
        linkRefused(res);
        return;
      }
      // The link is a principal of its own: its tenant, its creator's roles at creation that the
      // creator still holds, and its one operation (the persisted-query plugin runs nothing else).
      const principal: ExportLinkPrincipal = {
        kind: 'exportLink',
        tenantId: tenant._id,
        createdBy: claims.createdBy,
        operation: claims.operation,
        roles,
        expiresAt: new Date(claims.expiresAt * 1000),
      };
      const ctx = contextFor(services, {
        requestId: randomUUID(),
        principal,
        tenant: toActive(tenant),
        roles: new Set(roles),
      });
      const operation = await ctx.bi?.operations.byName(claims.operation);
      if (!operation || operation.hash !== claims.hash) {
        linkRefused(res);
        return;
      }
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
      const ctx = await buildRequestContext(services, httpHeaderLookup(req));
      // Without an active tenant, the repository's operations still answer (and then their roles refuse).
      const operation = await services.bi.trustedOperations.byName(ctx.db, match[1]);
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
