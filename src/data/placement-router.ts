import { type Placement, type PlacementRecord, SHARED_PLACEMENT } from './placement.js';

/** What an operation runs against: the placement it resolved, and the registry version it saw. */
export interface Permit {
  placement: Placement;
  version: number;
  release(): void;
}

/** How long a write waits for a paused tenant to switch before it fails (the move must have died). */
export const PAUSE_WAIT_MS = 60_000;

/**
 * This instance's view of the placement registry, and its gate: every operation on a tenant's data
 * takes a permit naming the placement it runs against and holds it until done. While the tenant's
 * move is paused, reads are served from the old placement and writes WAIT for the switch (then run
 * against the new placement); `drained(tenant, version)` tells when no operation that resolved an
 * older version is still running, which is what an instance confirms to the mover (placement-follower.ts).
 */
export class PlacementRouter {
  readonly #records = new Map<string, PlacementRecord>();
  /** tenant → version → operations running. */
  readonly #running = new Map<string, Map<number, number>>();
  readonly #changed = new Map<string, Array<() => void>>();
  readonly #released = new Map<string, Array<() => void>>();

  /** The tenant's record as this instance knows it; undefined: shared, never moved. */
  record(tenantId: string): PlacementRecord | undefined {
    return this.#records.get(tenantId);
  }

  /** Every record known, for start-up (the targets to follow). */
  records(): PlacementRecord[] {
    return [...this.#records.values()];
  }

  /** Applies a registry change (an older version than known is ignored); null: the record is gone. */
  apply(tenantId: string, record: PlacementRecord | null): void {
    const known = this.#records.get(tenantId);
    if (record !== null && known !== undefined && known.version > record.version) return;
    if (record === null) this.#records.delete(tenantId);
    else this.#records.set(tenantId, record);
    for (const wake of this.#changed.get(tenantId)?.splice(0) ?? []) wake();
  }

  /** A permit for a read: never waits (a paused tenant is read from where it still is). */
  read(tenantId: string): Permit {
    const record = this.#records.get(tenantId);
    return this.#permit(tenantId, record?.placement ?? SHARED_PLACEMENT, record?.version ?? 0);
  }

  /** A permit for a write (or a transaction): waits while the tenant's move is paused. */
  async write(tenantId: string): Promise<Permit> {
    const deadline = Date.now() + PAUSE_WAIT_MS;
    for (;;) {
      const record = this.#records.get(tenantId);
      if (record?.state !== 'paused') {
        return this.#permit(tenantId, record?.placement ?? SHARED_PLACEMENT, record?.version ?? 0);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`tenant ${tenantId} stayed paused for a move longer than ${PAUSE_WAIT_MS} ms`);
      await this.#nextChange(tenantId, left);
    }
  }

  /** Resolves once no operation of the tenant that resolved a version older than `version` runs. */
  async drained(tenantId: string, version: number): Promise<void> {
    while (this.#olderRunning(tenantId, version)) {
      await new Promise<void>((resolve) => {
        const waiting = this.#released.get(tenantId) ?? [];
        waiting.push(resolve);
        this.#released.set(tenantId, waiting);
      });
    }
  }

  #olderRunning(tenantId: string, version: number): boolean {
    for (const [seen, count] of this.#running.get(tenantId) ?? []) if (seen < version && count > 0) return true;
    return false;
  }

  #nextChange(tenantId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      const waiting = this.#changed.get(tenantId) ?? [];
      waiting.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.#changed.set(tenantId, waiting);
    });
  }

  #permit(tenantId: string, placement: Placement, version: number): Permit {
    const byVersion = this.#running.get(tenantId) ?? new Map<number, number>();
    this.#running.set(tenantId, byVersion);
    byVersion.set(version, (byVersion.get(version) ?? 0) + 1);
    let released = false;
    return {
      placement,
      version,
      release: () => {
        if (released) return;
        released = true;
        const left = (byVersion.get(version) ?? 1) - 1;
        if (left > 0) byVersion.set(version, left);
        else byVersion.delete(version);
        if (byVersion.size === 0 && this.#running.get(tenantId) === byVersion) this.#running.delete(tenantId);
        for (const wake of this.#released.get(tenantId)?.splice(0) ?? []) wake();
      },
    };
  }
}
