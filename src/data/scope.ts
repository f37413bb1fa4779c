import type { Filter, Pipeline, PipelineStage, Update } from './documents.js';

/**
 * What distinguishes tenant-bound from platform access: how a caller's filter, new document, update
 * and pipeline are checked and rewritten before they reach the driver. Pure: no I/O.
 */
export interface Scope {
  filter(filter: Filter): Filter;
  /** The document to store (without its id, which the collection assigns). */
  insert(doc: Record<string, unknown>): Record<string, unknown>;
  update(update: Update, options: { upsert: boolean }): Update;
  pipeline(pipeline: Pipeline): PipelineStage[];
}
