import type { Document } from 'bson';
import { restoreTypes } from '../values/view.js';
import type { View } from '../views.js';
import { viewReadCollation } from '../views.js';
import type { CommandContext } from './context.js';

/** What find, count and distinct add after a view's pipeline: their filter, order, window and shape. */
export interface ViewReadOptions {
  readonly filter: Document;
  readonly sort?: Document | undefined;
  readonly skip?: number | undefined;
  /** At most this many documents; 0 or undefined for no limit. */
  readonly limit?: number | undefined;
  readonly projection?: Document | undefined;
}

/**
 * A read of a view, run as MongoDB runs it: one aggregation of the view's pipeline followed by the
 * operation's $match, $sort, $skip, $limit and $project, under the view's collation (an operation
 * may not ask for another). Returns the documents in stored form.
 */
export function readView(view: View, command: Document, options: ViewReadOptions, context: CommandContext): Document[] {
  const collation = viewReadCollation(view, command.collation);
  const stages: Document[] = [];
  if (Object.keys(options.filter).length > 0) stages.push({ $match: options.filter });
  if (options.sort && Object.keys(options.sort).length > 0) stages.push({ $sort: options.sort });
  if (options.skip) stages.push({ $skip: options.skip });
  if (options.limit) stages.push({ $limit: options.limit });
  if (options.projection && Object.keys(options.projection).length > 0) stages.push({ $project: options.projection });
  return context.data.readView(view, stages, collation).map(restoreTypes);
}
