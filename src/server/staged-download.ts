import type { Readable } from 'node:stream';
import type { Response } from 'express';

/**
 * Streams a file of the staging store as a download behind a valet URL: never cached, never referred,
 * never sniffed. A read that fails midway is reported and cuts the connection, so the client sees a
 * broken download rather than a short file that looks complete.
 */
export function sendStagedFile(
  res: Response,
  body: Readable,
  file: { contentType: string; filename: string },
  report: (error: unknown) => void,
): void {
  res.status(200).set({
    'content-type': file.contentType,
    'content-disposition': `attachment; filename="${file.filename}"`,
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  });
  body.on('error', (error) => {
    report(error);
    res.destroy();
  });
  body.pipe(res);
}
