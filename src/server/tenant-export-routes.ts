import express, { type Router } from 'express';
import { ARCHIVE_FILE, TENANT_EXPORT_JOB } from '../admin/tenant-export.js';
import { ErrorCode } from '../errors.js';
import type { Services } from '../services.js';
import { answerError, sendErrors } from './bi-export.js';
import { sendStagedFile } from './staged-download.js';

/**
 * GET /admin/exports/<token>: the archive of a tenant's export (exportTenant), through a valet URL of
 * the staging store (src/staging/valet-urls.ts), which is its only credential. Unlike the tenant's own
 * download URLs it serves a suspended tenant too: exporting is how a suspended tenant being offboarded
 * gets its data. Only the archive of a tenant export is served here; a purge deletes the tenant's link
 * secret, which refuses its URLs. Every refusal is the same answer.
 */
export function tenantExportRoutes(services: Services): Router {
  const router = express.Router();
  const report = (error: unknown) => services.logger.error({ err: error }, 'unexpected error');
  router.get('/:token', async (req, res) => {
    try {
      const token = String(req.params.token);
      const claims = /^[\w-]+\.[\w-]+$/.test(token) ? await services.staging.valet.verify(token, 'download') : null;
      const ours = claims !== null && TENANT_EXPORT_JOB.test(claims.jobId) && claims.file === ARCHIVE_FILE;
      const body = ours ? await services.staging.get(claims.tenantId, claims.jobId, claims.file) : null;
      if (!claims || !body) {
        sendErrors(res, [{ message: 'This link is not valid', extensions: { code: ErrorCode.FORBIDDEN } }]);
        return;
      }
      sendStagedFile(res, body, { contentType: 'application/x-tar', filename: `${claims.jobId}.tar` }, report);
    } catch (error) {
      answerError(res, error, report);
    }
  });
  return router;
}
