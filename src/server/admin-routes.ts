import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Router } from 'express';
import type { GraphQLFormattedError } from 'graphql';
import { refusal } from '../errors.js';
import { errorStatusPlugin } from './format-error.js';
import { httpHeaderLookup } from './http-headers.js';
import type { Services } from '../services.js';
import { type AdminContext, operatorContext } from '../admin/admin-context.js';
import { adminResolvers, adminTypeDefs } from '../admin/admin-schema.js';
import { OperatorConsole } from '../admin/operator-console.js';
import { collections } from '../modules/application.js';
import { tenantExportRoutes } from './tenant-export-routes.js';

export interface AdminApi {
  router: Router;
  stop(): Promise<void>;
}

/**
 * `POST /admin/graphql`: the operator API, an Apollo server of its own over the admin schema, with
 * the subgraph's error formatting and statuses (src/errors.ts). Not behind GATEWAY_SECRET (a gateway never routes here) and not
 * reachable with it: every request needs an operator's token.
 */
export async function createAdminApi(
  services: Services,
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
): Promise<AdminApi> {
  const operations = new OperatorConsole(services.database, collections, {
    afterPurge: (tenantId) => services.limits.forgetTenant(tenantId),
    beforeExport: () => services.limits.usage.flush(),
    staging: services.staging,
  });
  const apollo = new ApolloServer<AdminContext>({
    typeDefs: adminTypeDefs,
    resolvers: adminResolvers,
    introspection: services.config.introspection,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: true,
    allowBatchedHttpRequests: false,
    stopOnTerminationSignals: false,
    csrfPrevention: false,
    formatError,
    logger: services.logger,
    plugins: [ApolloServerPluginLandingPageDisabled(), errorStatusPlugin()],
  });
  await apollo.start();
  const router = express.Router();
  router.use('/exports', tenantExportRoutes(services));
  router.post(
    '/graphql',
    express.json({ limit: '100kb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        try {
          return await operatorContext(services, operations, httpHeaderLookup(req));
        } catch (error) {
          throw refusal(error);
        }
      },
    }),
  );
  return { router, stop: () => apollo.stop() };
}
