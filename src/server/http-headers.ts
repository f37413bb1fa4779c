import type { IncomingMessage } from 'node:http';
import type { HeaderLookup } from '../auth/credentials.js';

/**
 * The request's headers as a HeaderLookup. Node keeps only the first of repeated `Authorization` or
 * `Host` headers in `req.headers` and joins others; `headersDistinct` keeps every value, so that a
 * repeated credential header reaches readCredential as what it is.
 */
export const httpHeaderLookup =
  (req: IncomingMessage): HeaderLookup =>
  (name) =>
    req.headersDistinct[name.toLowerCase()]?.join(', ');
