import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDuplicateKeyError, isWriteConflict } from '../../data/errors.js';
import type { TenantCollection, TenantDb } from '../../data/tenant-db.js';

/** How long a stored response is replayed for a key (the contract: 24 hours). */
export const REPLAY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** A response as it was sent, to send again: its HTTP status and its JSON body, as text. */
export interface StoredResponse {
  status: number;
  body: string;
}

/** One request's key: who sent it (a principal label), the key, and what the request was. */
export interface KeyScope {
  credential: string;
  key: string;
  /** A digest of the operation and its variables: a reuse of the key for another request differs. */
  fingerprint: string;
}

export interface KeyStoreOptions {
  /**
   * How long a claim stays its owner's without a renewal; the owner renews it while the request runs
   * (every third of it), so it expires only when the owner died. Then a waiting duplicate takes over.
   */
  leaseMs?: number;
  /** The first and the longest pause of a duplicate that waits for the first request to complete. */
  pollMs?: { first: number; max: number };
}

/** The request owns the key: it executes, then stores its response (or gives the key up). */
export interface OwnedKey {
  /**
   * Ids derived from the claim, the same sequence for every execution under this key (a successor
   * that took a lapsed claim over gets the dead owner's): what a mutation with an effect outside any
   * transaction names that effect with, so that a re-execution finds it instead of doing it again.
   * Well-formed document ids whose first bytes are the claim's time, as a new id's are.
   */
  derivedIds(): () => string;
  /**
   * Stores the response after the request's writes committed. A process that dies in between leaves
   * the key pending: once its lease lapses, a retry executes again. For requests whose writes cannot
   * join one transaction with the key (see completeIn).
   */
  complete(response: StoredResponse): Promise<void>;
  /**
   * Stores the response in `tx`, the transaction holding the request's writes: the writes and the
   * replayable response commit together or not at all, so no crash leaves a committed request that
   * a retry would execute again. Throws ClaimLostError (aborting the transaction) when the claim is no
   * longer this request's: it paused past its lease and a duplicate took the key over.
   */
  completeIn(tx: TenantDb, response: StoredResponse): Promise<void>;
  /** The transaction that stored the response committed: stop renewing the claim. */
  settled(): void;
  /** Gives the key up without a response (nothing was done, or what was is unknown): a retry executes. */
  release(): Promise<void>;
  /**
   * Gives the key up without a response but keeps the claim, its lease ended: a retry takes it over
   * at once and gets the same derivedIds, so it finds what this execution did (keyed effects).
   */
  lapse(): Promise<void>;
}

/** The claim is no longer the request's own: whatever it wrote with completeIn must not commit. */
export class ClaimLostError extends Error {
  constructor() {
    super('the idempotency key was taken over by a duplicate request');
    this.name = 'ClaimLostError';
  }
}

export type KeyDecision =
  | { kind: 'execute'; owned: OwnedKey }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'conflict' };

interface KeyDocument {
  _id: string;
  tenantId: string;
  credential: string;
  key: string;
  fingerprint: string;
  state: 'pending' | 'completed';
  owner: string;
  leaseUntil: Date;
  /** The session of the transaction the owner stores its response in (completeIn), for a successor to end. */
  session?: unknown;
  response?: StoredResponse;
  createdAt: Date;
  /** The TTL index removes the document after this; a read that finds it later ignores it. */
  expiresAt: Date;
}

/** Where a tenant's keys are kept: with its placement's data, or in the shared database with the platform's. */
export type KeyCollection = 'idempotencyKeys' | 'sharedIdempotencyKeys';

/**
 * Idempotency keys of one tenant (contract section 11), in `collection` through the tenant-bound data
 * layer (the one kept in the database the request's writes go to, so that a transaction there can
 * hold the response with them): a unique index on (tenant, credential, key) lets exactly one request insert the claim,
 * the others read it. A completed claim replays its response; a pending one is waited for (polling
 * with back-off) until it completes, or until its lease expires because its owner died, when one
 * waiter takes it over.
 */
export async function claimKey(
  db: TenantDb,
  scope: KeyScope,
  options: KeyStoreOptions = {},
  /**
   * The session of the transaction the request will store its response in (TenantDb.sessionId), kept
   * with the claim: a duplicate that takes the claim over from a dead owner ends that transaction
   * first (TenantDb.endSession), which otherwise holds the claim until MongoDB ends it (60 s).
   */
  session?: unknown,
  collection: KeyCollection = 'idempotencyKeys',
): Promise<KeyDecision> {
  const { leaseMs = 10_000, pollMs = { first: 20, max: 250 } } = options;
  const keys = db.collection<KeyDocument>(collection);
  const owner = randomUUID();
  const lease = () => new Date(Date.now() + leaseMs);
  let pause = pollMs.first;
  for (;;) {
    const now = new Date();
    try {
      const claimed = await keys.insertOne({
        credential: scope.credential,
        key: scope.key,
        fingerprint: scope.fingerprint,
        state: 'pending',
        owner,
        leaseUntil: lease(),
        ...(session !== undefined && { session }),
        createdAt: now,
        expiresAt: new Date(now.getTime() + REPLAY_WINDOW_MS),
      });
      return { kind: 'execute', owned: ownKey(keys, collection, claimed._id, owner, leaseMs) };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const existing = await keys.findOne({ credential: scope.credential, key: scope.key });
    if (existing === null) continue;
    if (existing.expiresAt <= now) {
      await keys.deleteOne({ _id: existing._id, expiresAt: existing.expiresAt });
      continue;
    }
    if (existing.fingerprint !== scope.fingerprint) return { kind: 'conflict' };
    if (existing.state === 'completed' && existing.response) return { kind: 'replay', response: existing.response };
    if (existing.leaseUntil <= now) {
      // A dead owner's transaction may still hold the claim (it died committing): end it first.
      if (existing.session !== undefined && existing.session !== null) await db.endSession(existing.session);
      const taken = await takeOver(keys, existing, { owner, leaseUntil: lease(), session: session ?? null });
      if (taken) return { kind: 'execute', owned: ownKey(keys, collection, existing._id, owner, leaseMs) };
      if (taken === false) continue;
    }
    await sleep(pause);
    pause = Math.min(pause * 2, pollMs.max);
  }
}

/**
 * Takes a lapsed claim over: true when taken, false when someone else changed it first, null when a
 * transaction that has not ended holds it (its owner died while committing its response with its
 * writes): MongoDB makes the write wait until that transaction ends, the embedded server refuses it
 * at once. Either way the caller waits and looks again: the transaction commits (a replay) or aborts.
 */
async function takeOver(
  keys: TenantCollection<KeyDocument>,
  existing: KeyDocument,
  claim: { owner: string; leaseUntil: Date; session: unknown },
): Promise<boolean | null> {
  try {
    const taken = await keys.updateOne(
      { _id: existing._id, state: 'pending', owner: existing.owner, leaseUntil: existing.leaseUntil },
      { $set: claim },
    );
    return taken !== null;
  } catch (error) {
    if (isWriteConflict(error)) return null;
    throw error;
  }
}

function ownKey(
  keys: TenantCollection<KeyDocument>,
  collection: KeyCollection,
  id: string,
  owner: string,
  leaseMs: number,
): OwnedKey {
  const mine = { _id: id, owner, state: 'pending' };
  // A failed renewal is left to the next one; if they all fail the lease lapses, as for a dead owner.
  const renewal = setInterval(() => {
    keys.updateOne(mine, { $set: { leaseUntil: new Date(Date.now() + leaseMs) } }).catch(() => {});
  }, leaseMs / 3);
  renewal.unref();
  return {
    derivedIds() {
      let count = 0;
      return () => {
        count += 1;
        return `${id.slice(0, 8)}${createHash('sha256').update(`${id}/${count}`).digest('hex').slice(0, 16)}`;
      };
    },
    async complete(response) {
      clearInterval(renewal);
      await keys.updateOne(mine, { $set: { state: 'completed', response } });
    },
    async completeIn(tx, response) {
      const stored = await tx
        .collection<KeyDocument>(collection)
        .updateOne(mine, { $set: { state: 'completed', response } });
      if (stored === null) throw new ClaimLostError();
    },
    settled() {
      clearInterval(renewal);
    },
    async release() {
      clearInterval(renewal);
      await keys.deleteOne(mine);
    },
    async lapse() {
      clearInterval(renewal);
      await keys.updateOne(mine, { $set: { leaseUntil: new Date(0) } });
    },
  };
}
