import { randomUUID } from 'node:crypto';
import type { Collection, Document } from 'mongodb';
import { type ChangeStreamTarget, openChangeStream, type ResumableChangeStream } from './change-stream.js';
import type { CollectionCatalog } from './collection-catalog.js';
import type { Connection, RawDocument } from './connection.js';
import { ensureIndexes } from './indexes.js';
import { type Placement, type PlacementRecord, SHARED_PLACEMENT, type Target } from './placement.js';
import { confirmedEverywhere, type ObserverDocument } from './placement-follower.js';

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

/**
 * The mover's lease: renewed every third of it. Once it lapsed (the mover died, or lost the
 * database for that long), any instance takes the move over, so a paused tenant's writes wait about
 * this long for a dead mover, not for PAUSE_WAIT_MS.
 */
export const MOVE_LEASE_MS = 5000;

/** The staged events of the source are published there before the switch, never copied (they would be published twice). */
const OUTBOX = 'eventOutbox';
/** A marker written into the source once writes are paused: seeing it in the capture means every change before it was seen. */
const MARKER_COLLECTION = 'placementMoves';
const BATCH = 500;
/** The fields of a move in the registry, removed once it is over. */
const MOVE_FIELDS = ['moveTo', 'moveFrom', 'moveId', 'movingSince', 'leaseExpiresAt'];

export class MoveRefused extends Error {}

const samePlacement = (a: Placement, b: Placement) => a.cluster === b.cluster && a.database === b.database;

const leaseLive = (record: PlacementRecord) => (record.leaseExpiresAt?.getTime() ?? 0) > Date.now();

/**
 * A move this process holds: every change of the registry record is conditional on the move's id
 * and the version last written (a mover that lost its lease fails at its next step and stops), and
 * the lease is renewed in the background until {@link stop}.
 */
class HeldMove {
  readonly #context: MoveContext;
  readonly #timer: NodeJS.Timeout;
  #lost = false;

  constructor(
    context: MoveContext,
    readonly tenantId: string,
    readonly moveId: string,
    public version: number,
  ) {
    this.#context = context;
    this.#timer = setInterval(() => void this.#renew().catch(() => undefined), Math.floor(MOVE_LEASE_MS / 3));
    this.#timer.unref();
  }

  #leaseEnd = () => new Date(Date.now() + MOVE_LEASE_MS);

  async #renew(): Promise<boolean> {
    if (this.#lost) return false;
    const renewed = await this.#context.registry.updateOne(
      { _id: this.tenantId, moveId: this.moveId },
      { $set: { leaseExpiresAt: this.#leaseEnd() } },
    );
    if (renewed.matchedCount === 0) this.#lost = true;
    return !this.#lost;
  }

  /** Throws once another instance took the move over. */
  check(): void {
    if (this.#lost) throw new MoveRefused('the move was taken over by another instance (its lease had lapsed)');
  }

  /** Renews the lease now, and throws unless it is still this move's: done right before every deletion. */
  async fence(): Promise<void> {
    if (!(await this.#renew())) this.check();
  }

  /** Changes the record (its version grows); `end` removes the move's fields, ending the move. */
  async update(set: Partial<PlacementRecord>, end = false): Promise<void> {
    this.check();
    const now = new Date();
    const updated = await this.#context.registry.findOneAndUpdate(
      { _id: this.tenantId, version: this.version, moveId: this.moveId },
      {
        $set: { ...set, version: this.version + 1, updatedAt: now, ...(!end && { leaseExpiresAt: this.#leaseEnd() }) },
        ...(end && { $unset: Object.fromEntries(MOVE_FIELDS.map((field) => [field, ''])) }),
      },
      { returnDocument: 'after' },
    );
    if (updated === null) {
      this.#lost = true;
      throw new MoveRefused('the placement of this tenant was changed by someone else');
    }
    this.version = updated.version;
  }

  confirmed(timeoutMs: number): Promise<boolean> {
    return confirmedEverywhere(this.#context.observers, this.tenantId, this.version, timeoutMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/**
 * Moves a tenant's data to another placement while it is served:
 *
 * 1. claim the move in the registry, with a lease (instances start following the target's events);
 * 2. capture every change of the source database from now (a change stream), and copy the tenant's
 *    documents of every tenant collection (the outbox aside) to the target;
 * 3. pause: every instance holds the tenant's new writes and confirms once its running ones are done;
 *    the source's sequencer publishes what is still staged; a marker closes the capture;
 * 4. copy again what the capture saw change (deleted ones deleted), then switch the registry to the
 *    target, still paused, and once every instance confirmed it (they all read the target now), let
 *    writes resume there, positions and ids as they were;
 * 5. once every instance confirmed the switch (nothing reads the source any more), remove the source
 *    copy, and end the move.
 *
 * A failure before the switch resumes the tenant where it was and removes the partial copy. A mover
 * that dies leaves its lease to lapse: then an instance (or the next move) completes a move that had
 * switched and rolls back one that had not ({@link recoverMove}).
 */
export async function moveTenantData(context: MoveContext, tenantId: string, to: Placement): Promise<MoveReport> {
  const confirmTimeoutMs = context.confirmTimeoutMs ?? 10_000;
  const tenantCollections = context.catalog.placed().filter((name) => name !== OUTBOX);
  const stored = await context.registry.findOne({ _id: tenantId });
  if (stored?.moveId !== undefined && !leaseLive(stored)) await recoverMove(context, tenantId);
  const current = (await context.registry.findOne({ _id: tenantId }))?.placement ?? SHARED_PLACEMENT;
  // Compared by where they lead, not by name: a cluster whose URI is the default one's, with the same
  // database, is the same database, and "moving" there would delete the tenant's only copy.
  const same = (a: ChangeStreamTarget, b: ChangeStreamTarget) => a.uri === b.uri && a.dbName === b.dbName;
  if (same(context.resolve(current).stream, context.resolve(to).stream)) {
    throw new MoveRefused('the tenant is in that placement already');
  }
  const move = await claim(context, tenantId, to);
  const from = move.from;
  const source = context.resolve(from);
  const target = context.resolve(to);
  context.onPhase?.('claimed');
  const changed = new Set<string>();
  let captureLost = false;
  let capture: ResumableChangeStream | null = null;
  let targetRead = false;
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
    for (const name of tenantCollections) await copyAll(source.connection, target.connection, name, tenantId, move);
    context.onPhase?.('copied');

    await move.update({ state: 'paused' });
    const pausedAt = Date.now();
    context.onPhase?.('paused');
    if (!(await move.confirmed(confirmTimeoutMs))) {
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
    await copyChanged(source.connection, target.connection, changed, tenantId, move);

    // The switch, in two steps: every instance reads from the target before any writes there.
    targetRead = true;
    await move.update({ placement: to });
    if (!(await move.confirmed(confirmTimeoutMs))) {
      throw new MoveRefused('not every instance confirmed the switch in time');
    }
    await move.update({ state: 'serving' });
    switched = true;
    const pausedMs = Date.now() - pausedAt;
    context.onPhase?.('switched');
    const copied = await countAll(target.connection, tenantCollections, tenantId);
    if (await removeLeftovers(context, move, from, confirmTimeoutMs)) context.onPhase?.('removed');
    return { from, to, copied, pausedMs };
  } catch (error) {
    await capture?.close();
    // Nothing was written since the pause: the source is whole, and the tenant goes on there.
    if (!switched) await rollBack(context, move, { from, to, targetRead }).catch(() => undefined);
    throw error;
  } finally {
    move.stop();
  }
}

/**
 * Takes over a move whose lease lapsed (its mover died, or lost the database that long) and finishes
 * it: a move that had switched (its placement is the target) is completed (writes resume there, the
 * old copy is removed); one that had not is rolled back (writes resume where they were, the partial
 * copy is removed). Nothing to do when there is no move, or its lease is live; false when another
 * instance took it over first.
 */
export async function recoverMove(context: MoveContext, tenantId: string): Promise<boolean> {
  const record = await context.registry.findOne({ _id: tenantId });
  if (record?.moveId === undefined || record.moveTo === undefined || leaseLive(record)) return false;
  const moveId = randomUUID();
  const now = new Date();
  // Only while the lease is still lapsed: a mover that renewed it in the meantime keeps its move.
  const taken = await context.registry.findOneAndUpdate(
    { _id: tenantId, moveId: record.moveId, version: record.version, leaseExpiresAt: { $not: { $gt: now } } },
    {
      $set: {
        moveId,
        version: record.version + 1,
        leaseExpiresAt: new Date(now.getTime() + MOVE_LEASE_MS),
        updatedAt: now,
      },
    },
    { returnDocument: 'after' },
  );
  if (taken === null) return false;
  const move = new HeldMove(context, tenantId, moveId, taken.version);
  const confirmTimeoutMs = context.confirmTimeoutMs ?? 10_000;
  try {
    if (!samePlacement(taken.placement, record.moveTo)) {
      // The mover may have switched and been switching back when it died: instances may be reading
      // the target, so the partial copy goes once they all confirmed.
      await rollBack(context, move, { from: taken.placement, to: record.moveTo, targetRead: true });
      return true;
    }
    if (taken.state === 'paused') {
      if (!(await move.confirmed(confirmTimeoutMs))) {
        throw new MoveRefused('not every instance confirmed the switch in time');
      }
      await move.update({ state: 'serving' });
    }
    await removeLeftovers(context, move, record.moveFrom ?? null, confirmTimeoutMs);
    return true;
  } finally {
    move.stop();
  }
}

/**
 * Resumes the tenant where it was (writes go on there), removes the partial copy, and ends the move.
 * When the registry had switched to the target (`targetRead`), instances may be reading the copy: it
 * is removed once every one of them confirmed the roll-back; when one does not in time, the move
 * stays recorded, and once its lease lapses an instance tries again.
 */
async function rollBack(
  context: MoveContext,
  move: HeldMove,
  placements: { from: Placement; to: Placement; targetRead: boolean },
): Promise<void> {
  const tenantCollections = context.catalog.placed();
  await move.update({ placement: placements.from, state: 'serving' });
  if (placements.targetRead && !(await move.confirmed(context.confirmTimeoutMs ?? 10_000))) return;
  await move.fence();
  await removeTenant(context.resolve(placements.to).connection, tenantCollections, move.tenantId);
  await move.update({}, true);
}

/**
 * After the switch: once every instance confirmed it (nothing reads the source any more), removes the
 * old copy and ends the move. False when an instance did not confirm in time: the move stays recorded,
 * and once its lease lapses an instance removes the old copy then.
 */
async function removeLeftovers(
  context: MoveContext,
  move: HeldMove,
  from: Placement | null,
  confirmTimeoutMs: number,
): Promise<boolean> {
  if (!(await move.confirmed(confirmTimeoutMs))) return false;
  if (from !== null) {
    await move.fence();
    await removeTenant(context.resolve(from).connection, context.catalog.placed(), move.tenantId);
  }
  await move.update({}, true);
  return true;
}

/** Records the move in the registry (one move per tenant at a time), with its lease. */
async function claim(context: MoveContext, tenantId: string, to: Placement): Promise<HeldMove & { from: Placement }> {
  const now = new Date();
  const moveId = randomUUID();
  const current = await context.registry.findOne({ _id: tenantId });
  if (current?.moveId !== undefined) throw new MoveRefused('this tenant is being moved already');
  const base = current ?? { placement: SHARED_PLACEMENT, version: 0 };
  const claimed = await context.registry.findOneAndUpdate(
    current === null ? { _id: tenantId } : { _id: tenantId, version: current.version },
    {
      $set: {
        tenantId,
        placement: base.placement,
        version: base.version + 1,
        state: 'serving',
        moveTo: to,
        moveFrom: base.placement,
        moveId,
        movingSince: now,
        leaseExpiresAt: new Date(now.getTime() + MOVE_LEASE_MS),
        updatedAt: now,
      },
    },
    { upsert: current === null, returnDocument: 'after' },
  );
  if (claimed === null) throw new MoveRefused('the placement of this tenant was changed by someone else');
  return Object.assign(new HeldMove(context, tenantId, moveId, claimed.version), { from: base.placement });
}

async function copyAll(
  source: Connection,
  target: Connection,
  name: string,
  tenantId: string,
  move: HeldMove,
): Promise<void> {
  const cursor = source.db.collection<RawDocument>(name).find({ tenantId }, { batchSize: BATCH });
  let batch: RawDocument[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    move.check();
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
async function copyChanged(
  source: Connection,
  target: Connection,
  changed: Set<string>,
  tenantId: string,
  move: HeldMove,
) {
  for (const key of changed) {
    move.check();
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
