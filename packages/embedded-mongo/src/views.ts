import type { Document } from 'bson';
import { CommandError, ErrorCode } from './errors.js';
import { describeCollation, parseCollation, sameCollation } from './query/collation.js';
import type { Collation } from './query/collation.js';
import { isPipelineStage } from './query/mingo.js';
import { isPlainObject } from './values/kinds.js';

/** A read-only view: the documents of `viewOn` (a collection or another view) through `pipeline`. */
export interface View {
  readonly db: string;
  readonly name: string;
  readonly viewOn: string;
  readonly pipeline: readonly Document[];
  /** The view's default collation (a view does not take its source's); undefined for the simple one. */
  readonly collation: Collation | undefined;
}

/** The namespaces views and their sources live in, as the catalog answers for them. */
export interface ViewCatalog {
  view(db: string, name: string): View | undefined;
}

/** MongoDB's limit on views defined on views. */
const MAX_VIEW_DEPTH = 20;

/** Stages a view's pipeline may not hold. */
const FORBIDDEN_STAGES = new Set(['$out', '$merge', '$changeStream']);

const VIEW_OPTIONS = new Set(['viewOn', 'pipeline', 'collation', 'comment']);

/** The answer to a command that needs a collection and was given a view. */
export function viewNotCollection(db: string, name: string): CommandError {
  return new CommandError(ErrorCode.CommandNotSupportedOnView, `Namespace ${db}.${name} is a view, not a collection`);
}

export function checkViewPipeline(pipeline: unknown): Document[] {
  if (!Array.isArray(pipeline) || !pipeline.every(isPlainObject)) {
    throw new CommandError(ErrorCode.TypeMismatch, "'pipeline' option must be specified as an array");
  }
  for (const stage of pipeline as Document[]) {
    const name = Object.keys(stage)[0] ?? '';
    if (FORBIDDEN_STAGES.has(name)) {
      throw new CommandError(ErrorCode.OptionNotSupportedOnView, `${name} cannot be used in a view definition`);
    }
    if (!isPipelineStage(name)) {
      throw new CommandError(ErrorCode.UnrecognizedPipelineStage, `Unrecognized pipeline stage name: '${name}'`);
    }
  }
  return pipeline as Document[];
}

function checkViewOn(viewOn: unknown): string {
  if (typeof viewOn !== 'string' || viewOn === '') {
    throw new CommandError(ErrorCode.TypeMismatch, "'viewOn' option must be a non-empty string");
  }
  return viewOn;
}

/** The view `create` defines with `viewOn`, `pipeline` and `collation` (nothing else). */
export function parseView(db: string, name: string, options: Document): View {
  for (const option of Object.keys(options)) {
    if (!VIEW_OPTIONS.has(option)) {
      throw new CommandError(ErrorCode.InvalidOptions, `option '${option}' is not supported when creating a view`);
    }
  }
  return {
    db,
    name,
    viewOn: checkViewOn(options.viewOn),
    pipeline: checkViewPipeline(options.pipeline ?? []),
    collation: parseCollation(options.collation),
  };
}

/** The view with a new source and/or pipeline (collMod). */
export function modifiedView(view: View, changes: { viewOn?: unknown; pipeline?: unknown }): View {
  return {
    ...view,
    viewOn: changes.viewOn === undefined ? view.viewOn : checkViewOn(changes.viewOn),
    pipeline: changes.pipeline === undefined ? view.pipeline : checkViewPipeline(changes.pipeline),
  };
}

/** The namespaces a pipeline reads besides its input: $lookup, $graphLookup, $unionWith, also nested and in $facet. */
function foreignNames(pipeline: readonly Document[]): string[] {
  const names: string[] = [];
  for (const stage of pipeline) {
    const [name, spec] = Object.entries(stage)[0] ?? [];
    if (name === '$unionWith' && typeof spec === 'string') names.push(spec);
    if (!isPlainObject(spec)) continue;
    if (name === '$lookup' || name === '$graphLookup') {
      if (typeof spec.from === 'string') names.push(spec.from);
      if (Array.isArray(spec.pipeline)) names.push(...foreignNames(spec.pipeline as Document[]));
    } else if (name === '$unionWith') {
      if (typeof spec.coll === 'string') names.push(spec.coll);
      if (Array.isArray(spec.pipeline)) names.push(...foreignNames(spec.pipeline as Document[]));
    } else if (name === '$facet') {
      for (const branch of Object.values(spec)) if (Array.isArray(branch)) names.push(...foreignNames(branch));
    }
  }
  return names;
}

/**
 * Checks a view about to be defined (or redefined): no view may depend on itself, through its
 * source or a stage reading another namespace (GraphContainsCycle), no chain of views may be
 * deeper than MongoDB allows (ViewDepthLimitExceeded), and a view on a view has its collation.
 */
export function checkViewGraph(catalog: ViewCatalog, view: View): void {
  const pending = [view.viewOn, ...foreignNames(view.pipeline)];
  const visited = new Set<string>();
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (name === view.name) {
      throw new CommandError(ErrorCode.GraphContainsCycle, `View cycle detected: ${view.db}.${view.name}`);
    }
    if (visited.has(name)) continue;
    visited.add(name);
    const other = catalog.view(view.db, name);
    if (other) pending.push(other.viewOn, ...foreignNames(other.pipeline));
  }
  let depth = 1;
  for (let source = catalog.view(view.db, view.viewOn); source; source = catalog.view(view.db, source.viewOn)) {
    depth += 1;
    if (depth > MAX_VIEW_DEPTH) {
      throw new CommandError(
        ErrorCode.ViewDepthLimitExceeded,
        `View depth too deep or view cycle detected. Maximum depth is ${MAX_VIEW_DEPTH}`,
      );
    }
  }
  const source = catalog.view(view.db, view.viewOn);
  if (source && !sameCollation(source.collation, view.collation)) {
    throw new CommandError(
      ErrorCode.OptionNotSupportedOnView,
      `View ${view.db}.${view.name} has a collation that does not match the collation of view ${view.db}.${source.name}`,
    );
  }
}

/** A view resolved to the collection under it and the pipeline that runs on that collection's documents. */
export interface ResolvedView {
  readonly collection: string;
  readonly pipeline: Document[];
}

export function resolveView(catalog: ViewCatalog, view: View): ResolvedView {
  const pipeline = [...view.pipeline];
  let source = view.viewOn;
  for (let inner = catalog.view(view.db, source); inner; inner = catalog.view(view.db, source)) {
    pipeline.unshift(...inner.pipeline);
    source = inner.viewOn;
  }
  return { collection: source, pipeline };
}

/**
 * The collation a read of the view runs under: the view's own. An operation may repeat it but not
 * ask for another (OptionNotSupportedOnView).
 */
export function viewReadCollation(view: View, requested: unknown): Collation | undefined {
  if (requested !== undefined && requested !== null && !sameCollation(parseCollation(requested), view.collation)) {
    throw new CommandError(ErrorCode.OptionNotSupportedOnView, "Cannot override a view's default collation");
  }
  return view.collation;
}

/** The options listCollections shows (and the journal and snapshots keep). */
export function viewOptions(view: View): Document {
  const options: Document = { viewOn: view.viewOn, pipeline: view.pipeline };
  if (view.collation) options.collation = describeCollation(view.collation);
  return options;
}
