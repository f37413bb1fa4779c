import { randomUUID } from 'node:crypto';
import type { Collection, Document } from 'mongodb';
import { type ChangeStreamTarget, openChangeStream, type ResumableChangeStream } from './change-stream.js';
import type { CollectionCatalog } from './collection-catalog.js';
import type { Connection, RawDocument } from './connection.js';
import { ensureIndexes } from './indexes.js';
import { type Placement, type PlacementRecord, SHARED_PLACEMENT, type Target } from './placement.js';
import { confirmedEverywhere, type ObserverDocument } from './placement-follower.js';
import { PAUSE_WAIT_MS } from './placement-router.js';

/** Where each phase of a move is, for the caller's logs and tests. */
export type MovePhase = 'claimed' | 'copied' | 'paused' | 'switched' | 'removed';

export interface MoveReport {
  from: Placement;
  to: Placement;
  /** The tenant's documents per collection in the new placement, counted right after the switch. */
  copied: Record<string, number>;
  /** How long the tenant's writes waited: from the pause to the switch. */
  pausedMs: number;
}

export interface MoveContext {
  catalog: CollectionCatalog;
  registry: Collection<PlacementRecord>;
  observers: Collection<ObserverDocument>;
  /** The database of a placement, and where the change stream that captures its changes connects. */
  resolve(placement: Placement): { target: Target; connection: Connection; stream: ChangeStreamTarget };
  eventRetentionSeconds: number;
  /** How long every instance has to confirm a registry change; default 10 s. */
  confirmTimeoutMs?: number;
  onPhase?(phase: MovePhase): void;
}

/** The staged events of the source are published there before the switch, never copied (they would be published twice). */
const OUTBOX = 'eventOutbox';
/** A marker written into the source once writes are paused: seeing it in the capture means every change before it was seen. */
const MARKER_COLLECTION = 'placementMoves';
/** A claim older than this is a move that died: another may take over. */
const STALE_CLAIM_MS = 10 * 60_000;
const BATCH = 500;

export class MoveRefused extends Error {}

/**
 * Moves a tenant's data to another placement while it is served:
 *
 * 1. claim the move in the registry (instances start following the target's events);
 * 2. capture every change of the source database from now (a change stream), and copy the tenant's
 *    documents of every tenant collection (the outbox aside) to the target;
 * 3. pause: every instance holds the tenant's new writes and confirms once its running ones are done;
 *    the source's sequencer publishes what is still staged; a marker closes the capture;
 * 4. copy again what the capture saw change (deleted ones deleted), then switch the registry to the
 *    target, still paused, and once every instance confirmed it (they all read the target now), let
 *    writes resume there, positions and ids as they were;
 * 5. once every instance confirmed the switch (nothing reads the source any more), remove the source copy.
 *
 * A failure before the switch resumes the tenant where it was and removes the partial copy.
 */
export async function moveTenantData(context: MoveContext, tenantId: string, to: Placement): Promise<MoveReport> {
  const confirmTimeoutMs = context.confirmTimeoutMs ?? 10_000;
  const tenantCollections = context.catalog.placed().filter((name) => name !== OUTBOX);
  const current = (await context.registry.findOne({ _id: tenantId }))?.placement ?? SHARED_PLACEMENT;
  // Compared by where they lead, not by name: a cluster whose URI is the default one's, with the same
  // database, is the same database, and "moving" there would delete the tenant's only copy.
  const same = (a: ChangeStreamTarget, b: ChangeStreamTarget) => a.uri === b.uri && a.dbName === b.dbName;
  if (same(context.resolve(current).stream, context.resolve(to).stream)) {
    throw new MoveRefused('the tenant is in that placement already');
  }
  const record = await claim(context.registry, tenantId, to);
  const from = record.placement;
  const source = context.resolve(from);
  const target = context.resolve(to);
  const moveId = record.moveId;
  let version = record.version;
  const update = async (set: Partial<PlacementRecord>, unset: string[] = []) => {
    const updated = await context.registry.findOneAndUpdate(
      { _id: tenantId, version, moveId },
      {
        $set: { ...set, version: version + 1, updatedAt: new Date() },
        ...(unset.length > 0 && { $unset: Object.fromEntries(unset.map((field) => [field, ''])) }),
      },
      { returnDocument: 'after' },
    );
    if (updated === null) throw new MoveRefused('the placement of this tenant was changed by someone else');
    version = updated.version;
  };
  context.onPhase?.('claimed');
  const changed = new Set<string>();
  let captureLost = false;
  let capture: ResumableChangeStream | null = null;
  let switched = false;
  try {
    await ensureIndexes(target.connection.db, context.catalog, {
      eventRetentionSeconds: context.eventRetentionSeconds,
    });
    await removeTenant(target.connection, tenantCollections.concat(OUTBOX), tenantId);
    const marker = randomUUID();
    let markerSeen: () => void = () => {};
    const markerArrived = new Promise<void>((resolve) => {
      markerSeen = resolve;
    });
    capture = await openChangeStream(
      source.stream,
      [
        { $match: { 'ns.coll': { $in: [...tenantCollections, MARKER_COLLECTION] } } },
        { $project: { operationType: 1, ns: 1, documentKey: 1 } },
      ],
      {
        onChange: (change: Document) => {
          const coll = (change.ns as Document | undefined)?.coll;
          const id = (change.documentKey as Document | undefined)?._id;
          if (coll === MARKER_COLLECTION) {
            if (id === marker) markerSeen();
          } else if (typeof coll === 'string' && typeof id === 'string') changed.add(`${coll}\u0000${id}`);
        },
        onGap: () => {
          captureLost = true;
        },
        onError: () => {},
      },
    );
    for (const name of tenantCollections) await copyAll(source.connection, target.connection, name, tenantId);
    context.onPhase?.('copied');

    await update({ state: 'paused' });
    const pausedAt = Date.now();
    context.onPhase?.('paused');
    if (!(await confirmedEverywhere(context.observers, tenantId, version, confirmTimeoutMs))) {
      throw new MoveRefused('not every instance confirmed the pause in time');
    }
    await waitForEmptyOutbox(source.connection, tenantId, confirmTimeoutMs);
    const markers = source.connection.db.collection<RawDocument>(MARKER_COLLECTION);
    await markers.insertOne({ _id: marker });
    await within(markerArrived, confirmTimeoutMs, 'the capture of changes fell behind');
    await capture.close();
    capture = null;
    if (captureLost) throw new MoveRefused('the capture of changes lost its history');
    await markers.deleteOne({ _id: marker });
    await copyChanged(source.connection, target.connection, changed, tenantId);

    // The switch, in two steps: every instance reads from the target before any writes there.
    await update({ placement: to });
    if (!(await confirmedEverywhere(context.observers, tenantId, version, confirmTimeoutMs))) {
      throw new MoveRefused('not every instance confirmed the switch in time');
    }
    await update({ state: 'serving' }, ['moveTo', 'moveId', 'movingSince']);
    switched = true;
    const pausedMs = Date.now() - pausedAt;
    context.onPhase?.('switched');
    const copied = await countAll(target.connection, tenantCollections, tenantId);
    await confirmedEverywhere(context.observers, tenantId, version, confirmTimeoutMs);
    await removeTenant(source.connection, tenantCollections.concat(OUTBOX), tenantId);
    context.onPhase?.('removed');
    return { from, to, copied, pausedMs };
  } catch (error) {
    await capture?.close();
    if (!switched) {
      // Nothing was written since the pause: the source is whole, and the tenant goes on there.
      await update({ placement: from, state: 'serving' }, ['moveTo', 'moveId', 'movingSince']).catch(() => undefined);
      await removeTenant(target.connection, tenantCollections.concat(OUTBOX), tenantId).catch(() => undefined);
    }
    throw error;
  }
}

/** Records the move in the registry (one move per tenant at a time), returning the claimed record. */
async function claim(
  registry: Collection<PlacementRecord>,
  tenantId: string,
  to: Placement,
): Promise<PlacementRecord & { moveId: string }> {
  const now = new Date();
  const moveId = randomUUID();
  const current = await registry.findOne({ _id: tenantId });
  if (current?.moveId !== undefined && current.movingSince !== undefined) {
    // A move paused for longer than writes wait, or claimed long ago, died: this one takes over, and
    // its claim (state serving) lets the tenant's writes go on where they are.
    const died =
      now.getTime() - current.movingSince.getTime() > STALE_CLAIM_MS ||
      (current.state === 'paused' && now.getTime() - current.updatedAt.getTime() > PAUSE_WAIT_MS);
    if (!died) throw new MoveRefused('this tenant is being moved already');
  }
  const base = current ?? { placement: SHARED_PLACEMENT, version: 0 };
  const claimed = await registry.findOneAndUpdate(
    current === null ? { _id: tenantId } : { _id: tenantId, version: current.version },
    {
      $set: {
        tenantId,
        placement: base.placement,
        version: base.version + 1,
        state: 'serving',
        moveTo: to,
        moveId,
        movingSince: now,
        updatedAt: now,
      },
    },
    { upsert: current === null, returnDocument: 'after' },
  );
  if (claimed === null) throw new MoveRefused('the placement of this tenant was changed by someone else');
  return { ...claimed, moveId };
}

async function copyAll(source: Connection, target: Connection, name: string, tenantId: string): Promise<void> {
  const cursor = source.db.collection<RawDocument>(name).find({ tenantId }, { batchSize: BATCH });
  let batch: RawDocument[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await target.db.collection<RawDocument>(name).bulkWrite(
      batch.map((doc) => ({ replaceOne: { filter: { _id: doc._id, tenantId }, replacement: doc, upsert: true } })),
      { ordered: false },
    );
    batch = [];
  };
  for await (const doc of cursor) {
    batch.push(doc);
    if (batch.length === BATCH) await flush();
  }
  await flush();
}

/** Copies again what changed since the capture began: as it is in the source now, or deleted. */
async function copyChanged(source: Connection, target: Connection, changed: Set<string>, tenantId: string) {
  for (const key of changed) {
    const [name, id] = key.split('\u0000') as [string, string];
    const doc = await source.db.collection<RawDocument>(name).findOne({ _id: id, tenantId });
    const into = target.db.collection<RawDocument>(name);
    if (doc === null) await into.deleteOne({ _id: id, tenantId });
    else await into.replaceOne({ _id: id, tenantId }, doc, { upsert: true });
  }
}

async function countAll(connection: Connection, names: readonly string[], tenantId: string) {
  const counts: Record<string, number> = {};
  for (const name of names) counts[name] = await connection.db.collection(name).countDocuments({ tenantId });
  return counts;
}

async function removeTenant(connection: Connection, names: readonly string[], tenantId: string): Promise<void> {
  for (const name of names) await connection.db.collection(name).deleteMany({ tenantId });
}

/** Waits until the source's sequencer published every event the tenant staged there. */
async function waitForEmptyOutbox(source: Connection, tenantId: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await source.db.collection(OUTBOX).countDocuments({ tenantId })) > 0) {
    if (Date.now() > deadline) throw new MoveRefused('the events staged before the pause were not published in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function within(promise: Promise<void>, ms: number, message: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new MoveRefused(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
