import { createHash, timingSafeEqual } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { RequestHandler } from 'express';

const BEARER = /^Bearer +(\S+)$/i;

/** Equal-length digests, so the comparison takes the same time whatever the offered value. */
const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The address the TCP connection comes from, never a header: `X-Forwarded-For` and `Forwarded` are
 * whatever the client writes, and Express's `req.ip` follows them once `trust proxy` is set.
 */
function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const ipv4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  if (isIPv4(ipv4)) return ipv4.startsWith('127.');
  return address === '::1';
}

/**
 * Who may scrape /metrics. With METRICS_TOKEN set: whoever presents `Authorization: Bearer <it>`
 * (401 otherwise, wherever from). Without it: clients connected from a loopback address (403
 * otherwise); behind a proxy on the same host, set METRICS_TOKEN instead.
 */
export function metricsAccess(token: string | undefined): RequestHandler {
  if (token === undefined) {
    return (req, res, next) => {
      if (isLoopback(req.socket.remoteAddress)) {
        next();
        return;
      }
      res.status(403).type('text').send('metrics are served to loopback clients only (or set METRICS_TOKEN)\n');
    };
  }
  const expected = digest(token);
  return (req, res, next) => {
    const offered = BEARER.exec(req.get('authorization') ?? '')?.[1];
    if (offered !== undefined && timingSafeEqual(digest(offered), expected)) {
      next();
      return;
    }
    res.status(401).set('www-authenticate', 'Bearer realm="metrics"').type('text').send('metrics token required\n');
  };
}
