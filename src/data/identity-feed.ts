import type { Document } from 'mongodb';
import { openChangeStream } from './change-stream.js';

/**
 * The collections whose changes alter who a caller is or what they may do (a tenant's plan sets its
 * limits: a plan change must apply on every instance within a second; a suspension ends its requests).
 */
export const IDENTITY_COLLECTIONS = ['memberships', 'users', 'apiKeys', 'tenants'] as const;

/**
 * A committed change to identity data, as this instance learns it from the change stream, whichever
 * instance committed it. A delete carries only the document's id (a change stream has nothing else
 * to give without pre-images), so `userId`, `tenantId` and `subject` are null when the document is
 * gone; consumers map the id back themselves (IdentityDirectory keeps membership id → user id).
 */
export type IdentityChange =
  | { kind: 'membership'; membershipId: string; userId: string | null; tenantId: string | null }
  | { kind: 'user'; userId: string; subject: string | null }
  | { kind: 'apiKey'; keyId: string }
  | { kind: 'tenant'; tenantId: string }
  /** Changes may have been missed (the stream restarted without its resume token): forget everything. */
  | { kind: 'reset' };

export interface IdentityFeedOptions {
  /** Called with every error of the stream (it is reopened, change-stream.ts) and of `onChange`. */
  onError?: (error: unknown) => void;
  /** First delay before reopening after an error, doubled on each failure up to 5 s. Default 100 ms. */
  retryDelayMs?: number;
}

export interface IdentityFeed {
  /** Closes the stream and its client; no change is delivered once it resolves. */
  stop(): Promise<void>;
}

/**
 * Only what the consumers read leaves the server: never a key's secret hash. `_id` (the resume
 * token) must stay. Drops and invalidations are kept so that the feed can reset.
 */
const PIPELINE: Document[] = [
  {
    $match: {
      $or: [
        { 'ns.coll': { $in: [...IDENTITY_COLLECTIONS] } },
        { operationType: { $in: ['dropDatabase', 'invalidate'] } },
      ],
    },
  },
  {
    $project: {
      operationType: 1,
      ns: 1,
      documentKey: 1,
      'updateDescription.updatedFields': 1,
      'updateDescription.removedFields': 1,
      'fullDocument.userId': 1,
      'fullDocument.tenantId': 1,
      'fullDocument.subject': 1,
    },
  },
];

/** Fields whose change alters nothing a caller may do: written on use, not by an administrator. */
const BOOKKEEPING_FIELDS: Readonly<Record<string, ReadonlySet<string>>> = {
  apiKeys: new Set(['lastUsedAt']),
};

/** Operations after which nothing known about identity data can be trusted. */
const RESETS: ReadonlySet<unknown> = new Set(['invalidate', 'dropDatabase', 'drop', 'rename']);

const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * Opens ONE change stream per instance over the identity collections (change-stream.ts: on a client
 * of its own, resumed after errors, reopened after an invalidation). Resolves once the stream is
 * established on the server, so every change committed after that is delivered. A restart without
 * the resume token (history lost) and a dropped database are reported as `reset`.
 */
export async function watchIdentityChanges(
  target: { uri: string; dbName: string },
  onChange: (change: IdentityChange) => void,
  options: IdentityFeedOptions = {},
): Promise<IdentityFeed> {
  const onError = options.onError ?? (() => {});
  const deliver = (change: IdentityChange) => {
    try {
      onChange(change);
    } catch (error) {
      onError(error);
    }
  };
  const stream = await openChangeStream(
    target,
    PIPELINE,
    {
      onChange: (event) => {
        if (RESETS.has(event.operationType)) {
          deliver({ kind: 'reset' });
          return;
        }
        const change = toIdentityChange(event);
        if (change) deliver(change);
      },
      onGap: () => deliver({ kind: 'reset' }),
      onError: (error) => onError(error),
    },
    {
      fullDocument: 'updateLookup',
      ...(options.retryDelayMs !== undefined && { firstRetryMs: options.retryDelayMs }),
    },
  );
  return { stop: () => stream.close() };
}

/** The change an insert, update, replace or delete of an identity document stands for, if any. */
export function toIdentityChange(event: Document): IdentityChange | null {
  const operation: unknown = event.operationType;
  if (operation !== 'insert' && operation !== 'update' && operation !== 'replace' && operation !== 'delete')
    return null;
  const coll = stringOrNull((event.ns as Document | undefined)?.coll);
  const id = stringOrNull((event.documentKey as Document | undefined)?._id);
  if (coll === null || id === null) return null;
  if (event.operationType === 'update' && onlyBookkeeping(coll, event.updateDescription as Document | undefined))
    return null;
  // updateLookup reads the document when the event is read, not when it was written: null when it
  // has been deleted since (then a delete event follows), newer than this change when updated since.
  const doc = (event.fullDocument ?? null) as Document | null;
  switch (coll) {
    case 'memberships':
      return {
        kind: 'membership',
        membershipId: id,
        userId: stringOrNull(doc?.userId),
        tenantId: stringOrNull(doc?.tenantId),
      };
    case 'users':
      return { kind: 'user', userId: id, subject: stringOrNull(doc?.subject) };
    case 'apiKeys':
      return { kind: 'apiKey', keyId: id };
    case 'tenants':
      return { kind: 'tenant', tenantId: id };
    default:
      return null;
  }
}

function onlyBookkeeping(coll: string, description: Document | undefined): boolean {
  const ignored = BOOKKEEPING_FIELDS[coll];
  if (!ignored || !description) return false;
  const updated = Object.keys((description.updatedFields as Document | undefined) ?? {});
  const removed = (description.removedFields as unknown[] | undefined) ?? [];
  return updated.length > 0 && removed.length === 0 && updated.every((field) => ignored.has(field));
}
