import type { AnyBulkWriteOperation, Db } from 'mongodb';

/**
 * The figures of one tenant and hour in the usage ledger. Every counter is an integer that only grows
 * within its hour.
 */
export const USAGE_COUNTERS = [
  'requests',
  'costAdmitted',
  'requestsThrottled',
  'rowsExported',
  'eventsDelivered',
  'bytesSent',
] as const;
export type UsageCounter = (typeof USAGE_COUNTERS)[number];
export type UsageCounters = Record<UsageCounter, number>;

export interface UsageDocument extends UsageCounters {
  _id: string;
  tenantId: string;
  /** The start of the hour (UTC) the counters are of. */
  hour: Date;
}

export interface UsageIncrement {
  tenantId: string;
  hour: Date;
  counters: Partial<UsageCounters>;
}

/** What one instance reports of one tenant: what it admitted, what it holds open. */
export interface TenantTotals {
  /** Points admitted by that instance since it started, net of refunds. */
  spent: number;
  /** The tenant's live subscriptions on that instance now. */
  subscriptions: number;
  /** Points admitted by that instance per API key of the tenant that has limits of its own, net of refunds. */
  keys: ReadonlyMap<string, number>;
}

/** One instance's latest report of one tenant. */
export interface ConsumptionReport extends TenantTotals {
  instanceId: string;
  tenantId: string;
  /** When that instance wrote it (its clock). */
  at: Date;
  /**
   * That instance had heard no other when it wrote it, and rewrites its cost only every full-report
   * period meanwhile (src/limits/reconciler.ts): what it admitted since is not news to a reader.
   */
  alone: boolean;
}

/** What this instance reports in one exchange. */
export interface OwnReport {
  instanceId: string;
  /** The tenants whose report is written now; the others keep their last report. */
  totals: ReadonlyMap<string, TenantTotals>;
  at: Date;
  alone: boolean;
  /**
   * Writes that the instance is live, apart from any tenant's report (every full-report period): an
   * instance that has admitted nothing yet is heard of too.
   */
  announce: boolean;
}

/** What the other instances wrote since a moment. */
export interface OthersReports {
  /** Each one's latest report of each tenant. */
  reports: ConsumptionReport[];
  /** Each instance that wrote anything, a report or that it is live, and when it last did (its clock). */
  heard: Map<string, Date>;
}

/** The data of the limits (src/limits): reconciliation of buckets across instances, the usage ledger. */
export interface LimitsStore {
  /**
   * Records this instance's report (the tenants in its `totals`, others keep their last report) and
   * returns what the other instances wrote since `liveSince`.
   */
  exchangeConsumption(mine: OwnReport, liveSince: Date): Promise<OthersReports>;
  /** Adds increments to the ledger, in one batch. */
  addUsage(increments: readonly UsageIncrement[]): Promise<void>;
  /** The tenant's ledger for the hours from `from` (included) to `to` (excluded), in order. */
  usage(tenantId: string, from: Date, to: Date): Promise<UsageDocument[]>;
  /** Creates the TTL indexes (the others are declared with the collections, src/modules/limits). */
  ensureIndexes(): Promise<void>;
  /** Deletes this instance's consumption report of a tenant that is gone (purged). */
  dropConsumption(instanceId: string, tenantId: string): Promise<void>;
  /** Deletes the ledger of a tenant that is gone (purged). */
  dropUsage(tenantId: string): Promise<void>;
}

/** The usage ledger: one document per tenant and hour; a tenant collection (its documents carry tenantId). */
export const USAGE_COLLECTION = 'usage';
/** The latest consumption report of each instance for each tenant; they expire once the instance is gone. */
export const CONSUMPTION_COLLECTION = 'rateLimitConsumption';

/** The ledger keeps each hour at least 400 days (the TTL monitor removes it some time after). */
export const USAGE_RETENTION_SECONDS = 401 * 24 * 60 * 60;
/** A consumption report outlives its instance this long. */
const CONSUMPTION_RETENTION_SECONDS = 60;

/** An instance's latest report of a tenant, or (without `tenantId`) that the instance is live. */
interface ConsumptionDocument {
  _id: string;
  instanceId: string;
  /** Absent from an instance's presence (`OwnReport.announce`), as every figure below. */
  tenantId?: string;
  spent?: number;
  /** Absent from the reports of an instance of an older version: none counted. */
  subscriptions?: number;
  keys?: Array<{ keyId: string; spent: number }>;
  at: Date;
  /** Absent from the reports of an instance of an older version: never alone. */
  alone?: boolean;
}

export function createLimitsStore(db: Db): LimitsStore {
  const usage = db.collection<UsageDocument>(USAGE_COLLECTION);
  const consumption = db.collection<ConsumptionDocument>(CONSUMPTION_COLLECTION);
  return {
    async exchangeConsumption({ instanceId, totals, at, alone, announce }, liveSince) {
      const writes: AnyBulkWriteOperation<ConsumptionDocument>[] = [...totals].map(
        ([tenantId, { spent, subscriptions, keys }]) => ({
          updateOne: {
            filter: { _id: `${instanceId}:${tenantId}` },
            update: {
              $set: {
                instanceId,
                tenantId,
                spent,
                subscriptions,
                keys: [...keys].map(([keyId, points]) => ({ keyId, spent: points })),
                at,
                alone,
              },
            },
            upsert: true,
          },
        }),
      );
      if (announce) {
        writes.push({
          updateOne: { filter: { _id: `${instanceId}:` }, update: { $set: { instanceId, at } }, upsert: true },
        });
      }
      if (writes.length > 0) await consumption.bulkWrite(writes, { ordered: false });
      const documents = await consumption.find({ at: { $gte: liveSince }, instanceId: { $ne: instanceId } }).toArray();
      const reports: ConsumptionReport[] = [];
      const heard = new Map<string, Date>();
      for (const document of documents) {
        const latest = heard.get(document.instanceId);
        if (!latest || latest < document.at) heard.set(document.instanceId, document.at);
        if (document.tenantId === undefined) continue;
        reports.push({
          instanceId: document.instanceId,
          tenantId: document.tenantId,
          spent: document.spent ?? 0,
          subscriptions: document.subscriptions ?? 0,
          keys: new Map((document.keys ?? []).map(({ keyId, spent }) => [keyId, spent])),
          at: document.at,
          alone: document.alone ?? false,
        });
      }
      return { reports, heard };
    },
    async addUsage(increments) {
      if (increments.length === 0) return;
      const operations: AnyBulkWriteOperation<UsageDocument>[] = increments.map(({ tenantId, hour, counters }) => ({
        updateOne: {
          filter: { _id: `${tenantId}:${hour.toISOString()}`, tenantId },
          update: {
            $setOnInsert: { tenantId, hour },
            $inc: Object.fromEntries(USAGE_COUNTERS.map((name) => [name, counters[name] ?? 0])),
          },
          upsert: true,
        },
      }));
      await usage.bulkWrite(operations, { ordered: false });
    },
    async dropConsumption(instanceId, tenantId) {
      await consumption.deleteOne({ _id: `${instanceId}:${tenantId}` });
    },
    async dropUsage(tenantId) {
      await usage.deleteMany({ tenantId });
    },
    async usage(tenantId, from, to) {
      return usage
        .find({ tenantId, hour: { $gte: from, $lt: to } })
        .sort({ hour: 1 })
        .toArray();
    },
    async ensureIndexes() {
      await Promise.all([
        usage.createIndex({ hour: 1 }, { expireAfterSeconds: USAGE_RETENTION_SECONDS }),
        consumption.createIndex({ at: 1 }, { expireAfterSeconds: CONSUMPTION_RETENTION_SECONDS }),
      ]);
    },
  };
}
