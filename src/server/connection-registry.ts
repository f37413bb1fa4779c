import type { Logger } from 'pino';
import { principalKey, refKey, type Principal } from '../auth/principal.js';
import type { Role } from '../authz/roles.js';
import type { RequestContext } from '../context.js';
import { closeCodeOf, ErrorCode, forbidden, isAppError } from '../errors.js';
import type { IdentityNotice } from '../tenancy/identity-directory.js';

/** graphql-ws's `Forbidden`: the contract's close code for refused, expired and revoked credentials. */
export const CLOSE_FORBIDDEN = closeCodeOf(forbidden());

export const CloseReason = {
  expired: 'Credentials expired',
  revoked: 'Forbidden: credentials no longer valid',
  rightsChanged: 'Forbidden: rights changed',
  unverifiable: 'Rights could not be verified',
} as const;

/** setTimeout's longest delay; a later expiry is re-armed from there. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What the registry needs of one WebSocket connection. */
export interface WatchedSocket {
  /**
   * Builds the context the connection's credentials give now, the same way as at connect, in the
   * tenant with this slug (null: the tenant the credentials choose by themselves).
   */
  rebuild(tenantSlug: string | null): Promise<RequestContext>;
  /** Ends the connection with this close code and reason. */
  close(code: number, reason: string): void;
}

/** The rights a context was built with: what a live operation of the connection relies on. */
interface Grant {
  tenantId: string | null;
  tenantSlug: string | null;
  roles: ReadonlySet<Role>;
}

const grantOf = (context: RequestContext): Grant => ({
  tenantId: context.tenant?.id ?? null,
  tenantSlug: context.tenant?.slug ?? null,
  roles: context.roles,
});

/** The holder a notice is about, keyed as principalKey keys a user or an API key. */
const noticeKey = (notice: Exclude<IdentityNotice, { kind: 'everyone' | 'tenant' }>): string =>
  refKey(notice.kind === 'user' ? { kind: 'user', id: notice.userId } : { kind: 'apiKey', id: notice.keyId });

/** Whose changes a connection's rights depend on: its user, or its key and the key's grantor. */
const dependsOn = (principal: Principal): string[] =>
  principal.kind === 'apiKey' && principal.grantorId !== null
    ? [principalKey(principal), refKey({ kind: 'user', id: principal.grantorId })]
    : [principalKey(principal)];

const CONNECT = Symbol('connect');

class Watched {
  readonly holder: string;
  readonly dependsOn: readonly string[];
  /** The grant of the accepted connection, and one per operation that has not completed yet. */
  readonly grants = new Map<string | typeof CONNECT, Grant>();
  expiryTimer: NodeJS.Timeout | undefined;
  checking: Promise<void> | undefined;
  checkAgain = false;
  closed = false;

  constructor(
    readonly key: object,
    readonly socket: WatchedSocket,
    readonly principal: Principal,
  ) {
    this.holder = principalKey(principal);
    this.dependsOn = dependsOn(principal);
  }
}

/**
 * The live WebSocket connections, by the user or API key they act for, so that their streams end
 * when those credentials stop being valid: at the expiry of the token or key (a timer), and at once
 * when the identity feed reports a change to their user, memberships or key (or to the memberships
 * of the member who granted the key), whichever instance committed it (`onIdentityChange`). Such a
 * change makes the registry build the connection's context again, in each tenant a live operation of
 * it acts in; a failure, or a role that a live operation had and the new context lacks, closes the
 * connection with 4403. Added rights change nothing for operations already running: they keep the
 * context they started with.
 *
 * A change may arrive while a context is being built from data read just before it: `version`
 * counts the changes seen, and a connection admitted (or granted) with an older version is checked
 * again at once.
 */
export class ConnectionRegistry {
  readonly #byKey = new Map<object, Watched>();
  readonly #byHolder = new Map<string, Set<Watched>>();
  readonly #logger: Logger;
  #version = 0;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** The number of identity changes seen so far; read it before building a context. */
  get version(): number {
    return this.#version;
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Records an accepted connection, built when `version` was `since`, under `key` (its graphql-ws context). */
  admit(key: object, socket: WatchedSocket, context: RequestContext, since: number): void {
    const watched = new Watched(key, socket, context.principal);
    watched.grants.set(CONNECT, grantOf(context));
    this.#byKey.set(key, watched);
    for (const holder of watched.dependsOn) {
      let holders = this.#byHolder.get(holder);
      if (!holders) {
        holders = new Set();
        this.#byHolder.set(holder, holders);
      }
      holders.add(watched);
    }
    this.#armExpiry(watched, context.principal.expiresAt);
    if (this.#version !== since) this.#recheck(watched);
  }

  /** Records the context an operation of the connection runs with, built when `version` was `since`. */
  grant(key: object, operationId: string, context: RequestContext, since: number): void {
    const watched = this.#byKey.get(key);
    if (!watched) return;
    watched.grants.set(operationId, grantOf(context));
    if (this.#version !== since) this.#recheck(watched);
  }

  /** The operation ended: its rights no longer matter. */
  release(key: object, operationId: string): void {
    this.#byKey.get(key)?.grants.delete(operationId);
  }

  /** The connection closed: forgets it and its timer. */
  forget(key: object): void {
    const watched = this.#byKey.get(key);
    if (watched) this.#remove(watched);
  }

  /** Called by the IdentityDirectory after it forgot a committed change. */
  onIdentityChange(notice: IdentityNotice): void {
    this.#version += 1;
    const affected =
      notice.kind === 'everyone'
        ? [...this.#byKey.values()]
        : notice.kind === 'tenant'
          ? // The tenant itself changed (suspended, say): every connection with an operation in it.
            [...this.#byKey.values()].filter((watched) =>
              [...watched.grants.values()].some((grant) => grant.tenantId === notice.tenantId),
            )
          : [...(this.#byHolder.get(noticeKey(notice)) ?? [])];
    for (const watched of affected) this.#recheck(watched);
  }

  /** Forgets every connection and timer (the server is closing its sockets). */
  dispose(): void {
    for (const watched of [...this.#byKey.values()]) this.#remove(watched);
  }

  #armExpiry(watched: Watched, expiresAt: Date | null): void {
    clearTimeout(watched.expiryTimer);
    watched.expiryTimer = undefined;
    if (expiresAt === null || watched.closed) return;
    const delay = expiresAt.getTime() - Date.now();
    if (delay <= 0) {
      this.#close(watched, CLOSE_FORBIDDEN, CloseReason.expired);
      return;
    }
    watched.expiryTimer = setTimeout(
      () =>
        delay > MAX_TIMER_MS
          ? this.#armExpiry(watched, expiresAt)
          : this.#close(watched, CLOSE_FORBIDDEN, CloseReason.expired),
      Math.min(delay, MAX_TIMER_MS),
    );
    watched.expiryTimer.unref();
  }

  /** Checks the connection again; a check asked for while one runs runs once more after it. */
  #recheck(watched: Watched): void {
    if (watched.closed) return;
    if (watched.checking) {
      watched.checkAgain = true;
      return;
    }
    watched.checking = this.#check(watched)
      .catch((error: unknown) => this.#logger.error({ err: error, holder: watched.holder }, 'connection check failed'))
      .finally(() => {
        watched.checking = undefined;
        if (watched.checkAgain) {
          watched.checkAgain = false;
          this.#recheck(watched);
        }
      });
  }

  async #check(watched: Watched): Promise<void> {
    const needed = new Map<string | null, Set<Role>>();
    for (const { tenantSlug, roles } of watched.grants.values()) {
      const set = needed.get(tenantSlug) ?? new Set<Role>();
      for (const role of roles) set.add(role);
      needed.set(tenantSlug, set);
    }
    for (const [tenantSlug, roles] of needed) {
      let context: RequestContext;
      try {
        context = await watched.socket.rebuild(tenantSlug);
      } catch (error) {
        // Refused now: 4403. Not checkable (the database did not answer): fail closed, 1013 or 1011.
        if (!isAppError(error)) {
          this.#logger.warn({ err: error, holder: watched.holder }, 'could not check a connection again: closing it');
          this.#close(watched, closeCodeOf(error), CloseReason.unverifiable);
        } else {
          const reason = error.code === ErrorCode.UNAUTHENTICATED ? CloseReason.revoked : CloseReason.rightsChanged;
          this.#close(watched, closeCodeOf(error), reason);
        }
        return;
      }
      if (watched.closed) return;
      const lost = [...roles].filter((role) => !context.roles.has(role));
      if (lost.length > 0) {
        this.#close(watched, CLOSE_FORBIDDEN, CloseReason.rightsChanged, { tenant: tenantSlug, lost });
        return;
      }
      // An API key's expiry may have been changed; a token's is that of the same token.
      this.#armExpiry(watched, context.principal.expiresAt);
    }
  }

  #close(watched: Watched, code: number, reason: string, details: Record<string, unknown> = {}): void {
    if (watched.closed) return;
    this.#remove(watched);
    this.#logger.info({ holder: watched.holder, code, reason, ...details }, 'closing a WebSocket connection');
    watched.socket.close(code, reason);
  }

  #remove(watched: Watched): void {
    watched.closed = true;
    clearTimeout(watched.expiryTimer);
    this.#byKey.delete(watched.key);
    for (const holder of watched.dependsOn) {
      const holders = this.#byHolder.get(holder);
      holders?.delete(watched);
      if (holders?.size === 0) this.#byHolder.delete(holder);
    }
  }
}
