import { FINISHED, type JobDocument } from './job-document.js';

const DONE: IteratorResult<JobDocument> = { value: undefined, done: true };

/** Starts telling `tell` of each change of the job; resolves to the function that stops. */
export type JobListen = (tell: () => void) => Promise<() => Promise<void>>;

/**
 * A job as `jobProgress` streams it: at once, then again each time the database tells of a change to
 * it (whichever instance runs it), until it ends or stops being visible. Nothing is read on a timer:
 * a change told while the job is being read makes it be read again, so none is missed.
 *
 * A class rather than an async generator: `return()` (the client unsubscribed) must release the
 * listener at once, even while `next()` is waiting for a change.
 */
export class JobProgress implements AsyncIterableIterator<JobDocument> {
  #stop: (() => Promise<void>) | null = null;
  #told = false;
  #wake: (() => void) | null = null;
  #done = false;
  #last: number | null = null;

  private constructor(private readonly read: () => Promise<JobDocument | null>) {}

  /** Listens first, then the first `next()` reads: a change committed in between is not missed. */
  static async open(read: () => Promise<JobDocument | null>, listen: JobListen): Promise<JobProgress> {
    const progress = new JobProgress(read);
    progress.#stop = await listen(() => progress.#tell());
    return progress;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<JobDocument>> {
    while (!this.#done) {
      this.#told = false;
      const job = await this.read();
      if (this.#done) break;
      if (!job) {
        await this.#finish();
        break;
      }
      const ended = FINISHED.has(job.status);
      if (this.#last === null || job.updatedAt.getTime() !== this.#last) {
        this.#last = job.updatedAt.getTime();
        if (ended) await this.#finish();
        return { value: job, done: false };
      }
      if (ended) {
        await this.#finish();
        break;
      }
      if (!this.#told) await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    return DONE;
  }

  async return(): Promise<IteratorResult<JobDocument>> {
    await this.#finish();
    return DONE;
  }

  #tell(): void {
    this.#told = true;
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  async #finish(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    this.#tell();
    await this.#stop?.();
  }
}
