import type { ChangeStreamTarget } from './change-stream.js';
import type { DocumentListener, DocumentWatch } from './document-watch.js';

/** One listener of one tenant document, and the databases it listens to now (by `<uri>\n<dbName>`). */
interface Follower {
  collection: string;
  id: string;
  listener: DocumentListener;
  listening: Map<string, () => Promise<void>>;
  /** Changes of what it listens to, one after the other. */
  chain: Promise<void>;
  stopped: boolean;
}

const keyOf = (target: ChangeStreamTarget) => `${target.uri}\n${target.dbName}`;

/**
 * Watches of tenant documents that follow their tenant's placement (docs/operators.md, moving a tenant): a document is
 * listened to in every database that holds its tenant or is about to (the one it is in and, during a
 * move, the one it moves to), through the shared per-database streams of DocumentWatch. When the
 * tenant's placement changes (`moved`, told by the placement follower before this instance confirms
 * the change), each of its watches starts listening where the tenant is going before it stops
 * listening where it was, and its listener is told, so that it reads the document again from where
 * the tenant is now. A change committed in either database while the tenant moves is heard.
 */
export class PlacedDocumentWatch {
  readonly #watch: DocumentWatch;
  readonly #targetsOf: (tenantId: string) => ChangeStreamTarget[];
  readonly #byTenant = new Map<string, Set<Follower>>();

  constructor(watch: DocumentWatch, targetsOf: (tenantId: string) => ChangeStreamTarget[]) {
    this.#watch = watch;
    this.#targetsOf = targetsOf;
  }

  /** Calls `listener` after each change of the document, wherever its tenant is; resolves to the function that stops. */
  async listen(
    tenantId: string,
    collection: string,
    id: string,
    listener: DocumentListener,
  ): Promise<() => Promise<void>> {
    const follower: Follower = {
      collection,
      id,
      listener,
      listening: new Map(),
      chain: Promise.resolve(),
      stopped: false,
    };
    const followers = this.#byTenant.get(tenantId) ?? new Set<Follower>();
    this.#byTenant.set(tenantId, followers);
    followers.add(follower);
    const stop = async () => {
      follower.stopped = true;
      followers.delete(follower);
      if (followers.size === 0 && this.#byTenant.get(tenantId) === followers) this.#byTenant.delete(tenantId);
      await this.#retarget(follower, []);
    };
    try {
      await this.#retarget(follower, this.#targetsOf(tenantId));
    } catch (error) {
      await stop();
      throw error;
    }
    return stop;
  }

  /**
   * The tenant's placement changed: its watches listen where it is and where it is going now, and
   * are told to read their documents again.
   */
  async moved(tenantId: string): Promise<void> {
    const targets = this.#targetsOf(tenantId);
    await Promise.all(
      [...(this.#byTenant.get(tenantId) ?? [])].map(async (follower) => {
        if (await this.#retarget(follower, targets)) follower.listener();
      }),
    );
  }

  /** Listens to the new targets first, then stops listening to the others; true when anything changed. */
  #retarget(follower: Follower, targets: readonly ChangeStreamTarget[]): Promise<boolean> {
    const next = follower.chain.then(async () => {
      const wanted = new Map((follower.stopped ? [] : targets).map((target) => [keyOf(target), target]));
      let changed = false;
      for (const [key, target] of wanted) {
        if (follower.listening.has(key)) continue;
        const stop = await this.#watch.listen({ ...target, collection: follower.collection }, follower.id, () =>
          follower.listener(),
        );
        follower.listening.set(key, stop);
        changed = true;
      }
      for (const [key, stop] of [...follower.listening]) {
        if (wanted.has(key)) continue;
        follower.listening.delete(key);
        await stop();
        changed = true;
      }
      return changed;
    });
    follower.chain = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }
}
