import express, { type Request, type Router } from 'express';
import type { Logger } from 'pino';
import type { DevIssuer } from '../../auth/dev-issuer.js';
import { DEMO_USERS } from '../../seed/demo-identities.js';
import type { IdentityDirectory } from '../../tenancy/identity-directory.js';
import { bundleIde, type IdeAsset } from './bundle.js';
import { idePage } from './page.js';

export interface IdeOptions {
  /** Present in dev-issuer mode only: the sign-in control and the token endpoint need it. */
  devIssuer: DevIssuer | null;
  identity: IdentityDirectory;
  logger: Logger;
}

/** Dev tokens last one hour; the IDE asks for a new one by signing in again. */
const DEV_TOKEN_TTL_SECONDS = 3600;

/** A browser navigating to /graphql asks for HTML first; GraphQL clients ask for JSON. */
const wantsHtml = (req: Request) =>
  req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';

/**
 * Development only (never mounted in production): the GraphQL IDE at GET /graphql for browsers, its
 * bundled assets under /ide/, `/` redirecting to it, and, in dev-issuer mode, POST /dev/token, which
 * signs a token for a seeded demo user and refuses anyone else.
 */
export function ideRoutes({ devIssuer, identity, logger }: IdeOptions): Router {
  const router = express.Router();
  const demoUsers = DEMO_USERS.map((user) => user.email);
  let assets: Promise<Map<string, IdeAsset>> | null = null;
  const page = idePage({ tokenUrl: devIssuer ? 'dev/token' : null, demoUsers: devIssuer ? demoUsers : [] });

  router.get('/', (_req, res) => {
    res.redirect('graphql');
  });
  router.get('/graphql', (req, res, next) => {
    if (!wantsHtml(req)) {
      next();
      return;
    }
    res.type('html').set('cache-control', 'no-store').send(page);
  });
  router.get('/ide/:name', async (req, res) => {
    assets ??= bundleIde().catch((error: unknown) => {
      assets = null;
      throw error;
    });
    let bundle: Map<string, IdeAsset>;
    try {
      bundle = await assets;
    } catch (error) {
      logger.error({ err: error }, 'GraphQL IDE could not be bundled');
      res.status(503).type('text').send('GraphQL IDE unavailable: its packages are dev dependencies (npm ci)');
      return;
    }
    const asset = bundle.get(req.params.name);
    if (!asset) {
      res.status(404).end();
      return;
    }
    res.type(asset.contentType).set('cache-control', 'no-cache').send(Buffer.from(asset.body));
  });
  if (devIssuer) {
    router.post('/dev/token', express.json({ limit: '1kb' }), async (req, res) => {
      const email: unknown = req.body?.email;
      const user =
        typeof email === 'string' && demoUsers.includes(email)
          ? await identity.userByIdentity(devIssuer.issuer, email)
          : null;
      if (!user) {
        res.status(404).json({ error: `not a seeded demo user: ${JSON.stringify(email ?? null)}` });
        return;
      }
      const token = await devIssuer.sign({ subject: user.subject, email: user.email }, DEV_TOKEN_TTL_SECONDS);
      const expiresAt = new Date(Date.now() + DEV_TOKEN_TTL_SECONDS * 1000).toISOString();
      res.set('cache-control', 'no-store').json({ token, expiresAt });
    });
  }
  return router;
}
