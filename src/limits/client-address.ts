import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/**
 * Whether an address on the way to the server is a proxy whose `X-Forwarded-For` is believed: given
 * the address and its distance from the server (0: the TCP peer, 1: the last address the peer
 * forwarded, …).
 */
export type TrustProxy = (address: string, hop: number) => boolean;

/** The default: every client is the TCP peer, whatever it writes in `X-Forwarded-For`. */
export const TRUST_NOBODY: TrustProxy = () => false;

const EXPECTED =
  'expected false, a number of proxy hops, or a comma-separated list of addresses, CIDR ranges, loopback, linklocal or uniquelocal';

/**
 * TRUST_PROXY, read as Express's `trust proxy` reads it (without `true`, which would let any client
 * pick its address): `false`; a number of hops (`1`: the TCP peer is a proxy, and the address it
 * forwards is the client's); or the proxies' addresses and ranges, compiled by proxy-addr. Throws a
 * one-line message on anything else.
 */
export function parseTrustProxy(value: string): TrustProxy {
  const text = value.trim();
  if (text === 'false') return TRUST_NOBODY;
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    return (_address, hop) => hop < hops;
  }
  if (text === 'true') throw new Error(EXPECTED);
  try {
    return proxyaddr.compile(text.split(',').map((entry) => entry.trim()));
  } catch (error) {
    throw new Error(`${EXPECTED}: ${(error as Error).message}`);
  }
}

/**
 * The address of the client that sent a request, for the limits keyed by it: the TCP peer, or, when
 * the peer is a trusted proxy, the nearest address in `X-Forwarded-For` that is not a trusted proxy
 * (proxy-addr walks the list from the server outwards, as Express's `req.ip` does). Undefined when the
 * socket has no peer any more.
 */
export function clientAddress(request: IncomingMessage, trust: TrustProxy): string | undefined {
  if (request.socket.remoteAddress === undefined) return undefined;
  return proxyaddr(request, trust);
}
