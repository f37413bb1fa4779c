import type { Db } from 'mongodb';
import { isDuplicateKeyError } from './errors.js';

/*
 * A durable queue of work in MongoDB, shared by every instance: an entry per runnable job, claimed
 * under a lease that its instance renews while it works (a heartbeat). When an instance dies its
 * leases run out and another instance claims the entries again. Entries are taken by priority, then
 * oldest first, and each tenant holds at most its limit of running entries at once through numbered
 * slot documents (`<tenantId>:<n>`), themselves leased: a slot is taken by an upsert that fails on the
 * slot's unique id while another lease holds it, so two instances can never both take the last slot.
 */

export interface QueueEntry {
  /** The job's id. */
  _id: string;
  tenantId: string;
  priority: number;
  enqueuedAt: Date;
  lease: { owner: string; until: Date } | null;
  slot: number | null;
}

interface SlotDocument {
  _id: string;
  jobId: string;
  owner: string;
  until: Date;
}

export interface ClaimedWork {
  jobId: string;
  tenantId: string;
}

export interface WorkQueue {
  /** Queues a job; queuing it again changes nothing. */
  enqueue(work: { jobId: string; tenantId: string; priority: number }): Promise<void>;
  /**
   * The most urgent entry whose lease is free or expired and whose tenant has a free slot
   * (`slotsOf(tenantId)` of them), now leased to `owner` for `leaseMs`; null when there is none.
   */
  claim(owner: string, leaseMs: number, slotsOf: (tenantId: string) => Promise<number>): Promise<ClaimedWork | null>;
  /** Extends the lease (and its slot's); false when the entry is gone or leased to another. */
  renew(jobId: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Gives up `owner`'s lease and slot at once, so that another instance may claim the entry now. */
  release(jobId: string, owner: string): Promise<void>;
  /** Removes the entry and frees its slot if `owner` still holds it (the job ended there). */
  complete(jobId: string, owner: string): Promise<void>;
  /** Removes the entry and frees its slot, whoever holds it (the job was cancelled). */
  remove(jobId: string): Promise<void>;
  /** Whether the job has an entry: it waits or runs. */
  isQueued(jobId: string): Promise<boolean>;
}

/** How many waiting entries one claim looks at before giving up for this round. */
const CANDIDATES = 50;

export function createWorkQueue(db: Db, names: { queue: string; slots: string }): WorkQueue {
  const queue = db.collection<QueueEntry>(names.queue);
  const slots = db.collection<SlotDocument>(names.slots);
  const free = (now: Date) => ({ $or: [{ lease: null }, { 'lease.until': { $lt: now } }] });

  async function takeSlot(tenantId: string, jobId: string, owner: string, until: Date, count: number) {
    const now = new Date();
    for (let slot = 0; slot < count; slot++) {
      try {
        await slots.updateOne(
          { _id: `${tenantId}:${slot}`, until: { $lt: now } },
          { $set: { jobId, owner, until } },
          { upsert: true },
        );
        return slot;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    }
    return null;
  }

  /** Frees a slot if it still holds that job (for that owner, when given): never another claim's slot. */
  const freeSlot = (tenantId: string, slot: number, jobId: string, owner?: string) =>
    slots.deleteOne({ _id: `${tenantId}:${slot}`, jobId, ...(owner ? { owner } : {}) });

  return {
    async enqueue({ jobId, tenantId, priority }) {
      await queue.updateOne(
        { _id: jobId },
        { $setOnInsert: { tenantId, priority, enqueuedAt: new Date(), lease: null, slot: null } },
        { upsert: true },
      );
    },

    async claim(owner, leaseMs, slotsOf) {
      const now = new Date();
      const candidates = await queue
        .find(free(now), { sort: { priority: -1, enqueuedAt: 1 }, limit: CANDIDATES })
        .toArray();
      const full = new Set<string>();
      for (const candidate of candidates) {
        if (full.has(candidate.tenantId)) continue;
        const until = new Date(Date.now() + leaseMs);
        const slot = await takeSlot(candidate.tenantId, candidate._id, owner, until, await slotsOf(candidate.tenantId));
        if (slot === null) {
          full.add(candidate.tenantId);
          continue;
        }
        const claimed = await queue.findOneAndUpdate(
          { _id: candidate._id, ...free(new Date()) },
          { $set: { lease: { owner, until }, slot } },
        );
        if (claimed) return { jobId: candidate._id, tenantId: candidate.tenantId };
        await freeSlot(candidate.tenantId, slot, candidate._id, owner);
      }
      return null;
    },

    async renew(jobId, owner, leaseMs) {
      const until = new Date(Date.now() + leaseMs);
      const renewed = await queue.findOneAndUpdate(
        { _id: jobId, 'lease.owner': owner },
        { $set: { 'lease.until': until } },
        { returnDocument: 'after' },
      );
      if (!renewed || renewed.slot === null) return false;
      await slots.updateOne({ _id: `${renewed.tenantId}:${renewed.slot}`, jobId, owner }, { $set: { until } });
      return true;
    },

    async release(jobId, owner) {
      const released = await queue.findOneAndUpdate(
        { _id: jobId, 'lease.owner': owner },
        { $set: { lease: null, slot: null } },
      );
      if (released && released.slot !== null) await freeSlot(released.tenantId, released.slot, jobId, owner);
    },

    async complete(jobId, owner) {
      const removed = await queue.findOneAndDelete({ _id: jobId, 'lease.owner': owner });
      if (removed && removed.slot !== null) await freeSlot(removed.tenantId, removed.slot, jobId, owner);
    },

    async remove(jobId) {
      const removed = await queue.findOneAndDelete({ _id: jobId });
      if (removed && removed.slot !== null) await freeSlot(removed.tenantId, removed.slot, jobId);
    },

    async isQueued(jobId) {
      return (await queue.countDocuments({ _id: jobId }, { limit: 1 })) > 0;
    },
  };
}
