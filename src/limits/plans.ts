import { z } from 'zod';

export const PLAN_NAMES = ['free', 'standard', 'enterprise'] as const;
export type PlanName = (typeof PLAN_NAMES)[number];

/** The plan of a tenant whose document names none (every tenant created before plans existed). */
export const DEFAULT_PLAN: PlanName = 'standard';

/** What a plan allows a tenant. Costs are in the points of src/limits/cost-model.ts. */
export interface PlanLimits {
  /** Cost points restored to the tenant's bucket per second: its sustained rate. */
  restoreRate: number;
  /** Cost points the bucket holds at most: the burst a tenant may spend at once. */
  bucketSize: number;
  /** The largest cost one operation may have; a costlier one is refused before it runs. */
  maxCost: number;
  /** Live subscriptions of the tenant, across its connections, on one instance. */
  subscriptionsPerTenant: number;
  /** Live subscriptions on one WebSocket connection. */
  subscriptionsPerConnection: number;
  /** Operations of the tenant executing at the same time on one instance. */
  requestsInFlight: number;
  /**
   * The tenant's weight in the share of the places of execution of an instance (src/limits/fair-queue.ts):
   * tenants with work share `EXECUTION_CONCURRENCY` in proportion to their weights.
   */
  executionWeight: number;
  /** Import and export jobs of the tenant running at the same time, across instances. */
  concurrentJobs: number;
  /** The order in which waiting jobs are taken: a higher priority first, then the oldest. */
  jobPriority: number;
}

export type Plans = Readonly<Record<PlanName, PlanLimits>>;

/**
 * The documented defaults (docs/limits.md). A simple operation (create, change or read one object by
 * id) costs at most 11 points: 10 for a mutation plus 1 for the object it returns. The restore rates
 * therefore sustain 50+ (free), 200+ (standard) and 1,000+ (enterprise) simple operations a second,
 * and each bucket holds ten seconds of its rate. A page of 100 with a page of 100 inside (10,201
 * points) is over the standard maximum; a full page of 100 reservations with their park (401) is
 * within every plan's. The execution weights double from plan to plan, like the job priorities: under
 * contention an enterprise tenant executes four operations for a free tenant's one, and a free
 * tenant still always gets a place.
 */
export const DEFAULT_PLANS: Plans = {
  free: {
    restoreRate: 600,
    bucketSize: 6_000,
    maxCost: 2_000,
    subscriptionsPerTenant: 10,
    subscriptionsPerConnection: 5,
    requestsInFlight: 20,
    executionWeight: 1,
    concurrentJobs: 1,
    jobPriority: 1,
  },
  standard: {
    restoreRate: 2_500,
    bucketSize: 25_000,
    maxCost: 10_000,
    subscriptionsPerTenant: 100,
    subscriptionsPerConnection: 20,
    requestsInFlight: 100,
    executionWeight: 2,
    concurrentJobs: 2,
    jobPriority: 2,
  },
  enterprise: {
    restoreRate: 12_000,
    bucketSize: 120_000,
    maxCost: 50_000,
    subscriptionsPerTenant: 1_000,
    subscriptionsPerConnection: 50,
    requestsInFlight: 500,
    executionWeight: 4,
    concurrentJobs: 4,
    jobPriority: 3,
  },
};

const positive = z.number().int().positive().max(1_000_000_000);

const LimitsOverride = z
  .object({
    restoreRate: positive,
    bucketSize: positive,
    maxCost: positive,
    subscriptionsPerTenant: positive,
    subscriptionsPerConnection: positive,
    requestsInFlight: positive,
    executionWeight: positive,
    concurrentJobs: positive,
    jobPriority: positive,
  })
  .partial()
  .strict();

/** The `PLANS` variable: a JSON object of plan name → the numbers that differ from the defaults. */
export const PlansOverride = z
  .object({ free: LimitsOverride, standard: LimitsOverride, enterprise: LimitsOverride })
  .partial()
  .strict();

export type PlansOverride = z.infer<typeof PlansOverride>;

/** The defaults with the configured overrides applied. */
export function resolvePlans(override: PlansOverride = {}): Plans {
  return {
    free: { ...DEFAULT_PLANS.free, ...override.free },
    standard: { ...DEFAULT_PLANS.standard, ...override.standard },
    enterprise: { ...DEFAULT_PLANS.enterprise, ...override.enterprise },
  };
}

export const isPlanName = (value: unknown): value is PlanName =>
  typeof value === 'string' && (PLAN_NAMES as readonly string[]).includes(value);

/** The limits that differ for one API key: each applies when lower than its plan's. */
export type KeyLimits = Partial<Pick<PlanLimits, 'restoreRate' | 'bucketSize' | 'maxCost'>>;
