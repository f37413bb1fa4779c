import type { Document } from 'mongodb';
import { type ChangeStreamTarget, openChangeStream, type ResumableChangeStream } from './change-stream.js';

/** Told that a watched document changed (or may have: the stream restarted and could have missed it). */
export type DocumentListener = () => void;

interface Watched {
  stream: Promise<ResumableChangeStream>;
  /** Listeners by document id. */
  listeners: Map<string, Set<DocumentListener>>;
}

/**
 * Only which document changed leaves the server: listeners read the document again themselves,
 * through the tenant's own data handle. `invalidate` passes so that the stream goes on after a drop.
 */
const PIPELINE: Document[] = [
  { $match: { operationType: { $in: ['insert', 'update', 'replace', 'delete', 'invalidate'] } } },
  { $project: { operationType: 1, documentKey: 1 } },
];

/**
 * Changes to single documents of one collection, for listeners that each follow a few documents (a
 * job's progress): ONE change stream per database and collection on this instance (change-stream.ts),
 * opened with the first listener and closed with the last, fanned out in memory by document id. The
 * stream carries every tenant's document ids and nothing else; a listener hears of its own document
 * only. When the stream reopens without its resume token, or fails, every listener is told, since a
 * change may have been missed.
 */
export class DocumentWatch {
  readonly #watched = new Map<string, Watched>();

  /**
   * Calls `listener` after each committed change of the document `id` of `target`'s collection, whichever
   * instance made it. Resolves once the stream is established (every change committed afterwards is
   * told), to the function that stops listening.
   */
  async listen(target: ChangeStreamTarget & { collection: string }, id: string, listener: DocumentListener) {
    const key = `${target.uri}\n${target.dbName}\n${target.collection}`;
    let watched = this.#watched.get(key);
    if (!watched) {
      const listeners = new Map<string, Set<DocumentListener>>();
      const everyone = () => {
        for (const set of listeners.values()) for (const told of set) told();
      };
      const stream = openChangeStream(target, PIPELINE, {
        onChange: (change) => {
          if (change.operationType === 'invalidate') everyone();
          const changed = (change.documentKey as Document | undefined)?._id;
          if (typeof changed === 'string') for (const told of listeners.get(changed) ?? []) told();
        },
        onGap: everyone,
        // The stream reopens by itself; meanwhile the listeners read their documents again, and meet
        // the same database error, if any, there.
        onError: everyone,
      });
      watched = { stream, listeners };
      this.#watched.set(key, watched);
      stream.catch(() => {
        if (this.#watched.get(key) === watched) this.#watched.delete(key);
      });
    }
    const { listeners, stream } = watched;
    const set = listeners.get(id) ?? new Set<DocumentListener>();
    listeners.set(id, set);
    set.add(listener);
    const stop = async () => {
      set.delete(listener);
      if (set.size === 0) listeners.delete(id);
      if (listeners.size > 0 || this.#watched.get(key) !== watched) return;
      this.#watched.delete(key);
      await (await stream).close();
    };
    try {
      await stream;
    } catch (error) {
      await stop();
      throw error;
    }
    return stop;
  }

  /** Closes every stream. */
  async close(): Promise<void> {
    const streams = [...this.#watched.values()].map(({ stream }) => stream);
    this.#watched.clear();
    await Promise.allSettled(streams.map(async (stream) => (await stream).close()));
  }
}
