import express, { type Request, type Response, type Router } from 'express';
import { FileTooLargeError } from '../data/file-store.js';
import { ErrorCode } from '../errors.js';
import type { Services } from '../services.js';
import type { ValetAction, ValetClaims } from '../staging/valet-urls.js';
import { answerError, sendErrors } from './bi-export.js';
import { sendStagedFile } from './staged-download.js';

/*
 * PUT /staging/<token>   stores the request body as the file an upload URL names (single use, size-limited)
 * GET /staging/<token>   returns the file a download URL names, until the URL expires
 * The URL is the only credential (src/staging/valet-urls.ts).
 */

const TOKEN = /^[\w-]+\.[\w-]+$/;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

const contentTypeOf = (file: string) =>
  CONTENT_TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream';

/** Every refusal is this one answer: a tampered, reused, expired, revoked or foreign URL reveals nothing. */
const refused = (res: Response) =>
  sendErrors(res, [{ message: 'This link is not valid', extensions: { code: ErrorCode.FORBIDDEN } }]);

const tooLarge = (res: Response, maxBytes: number) =>
  sendErrors(
    res,
    [{ message: `The file is larger than ${maxBytes} bytes`, extensions: { code: ErrorCode.BAD_USER_INPUT } }],
    413,
  );

export function stagingRoutes(services: Services): Router {
  const router = express.Router();
  const { staging } = services;
  const report = (error: unknown) => services.logger.error({ err: error }, 'unexpected error');

  /** The claims of a genuine URL for `action` whose tenant exists and is not suspended, else null. */
  const accepted = async (req: Request, action: ValetAction): Promise<ValetClaims | null> => {
    const token = String(req.params.token);
    const claims = TOKEN.test(token) ? await staging.valet.verify(token, action) : null;
    if (!claims) return null;
    const tenant = await services.identity.tenantById(claims.tenantId);
    return tenant && !tenant.suspendedAt ? claims : null;
  };

  router.put('/:token', async (req, res) => {
    try {
      const claims = await accepted(req, 'upload');
      if (!claims) {
        refused(res);
        return;
      }
      const maxBytes = claims.maxBytes ?? staging.options.maxUploadBytes;
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > maxBytes) {
        tooLarge(res, maxBytes);
        return;
      }
      // A URL whose job has ended (cancelled, failed) stores nothing, and is refused like any misused URL.
      if (!(await staging.uploadWanted(claims)) || !(await staging.valet.claimUpload(claims))) {
        refused(res);
        return;
      }
      let size: number;
      try {
        ({ size } = await staging.put(claims.tenantId, claims.jobId, claims.file, req, { maxBytes }));
      } catch (error) {
        await staging.valet.releaseUpload(claims);
        if (error instanceof FileTooLargeError) {
          tooLarge(res.set('connection', 'close'), maxBytes);
          return;
        }
        throw error;
      }
      if (!(await staging.uploaded(claims, size))) {
        // The job ended while the file was arriving: nothing is kept.
        await staging.delete(claims.tenantId, claims.jobId, claims.file);
        refused(res);
        return;
      }
      res.status(201).set('cache-control', 'no-store').json({ received: size });
    } catch (error) {
      answerError(res, error, report);
    }
  });

  router.get('/:token', async (req, res) => {
    try {
      const claims = await accepted(req, 'download');
      const body = claims && (await staging.get(claims.tenantId, claims.jobId, claims.file));
      if (!claims || !body) {
        refused(res);
        return;
      }
      sendStagedFile(res, body, { contentType: contentTypeOf(claims.file), filename: claims.file }, report);
    } catch (error) {
      answerError(res, error, report);
    }
  });

  return router;
}
