import type { Iterator } from 'mingo/lazy';
import * as pipelineOperators from 'mingo/operators/pipeline';
import type { Options } from 'mingo/types';

/**
 * `$count` as MongoDB runs it: one document naming how many came in, and no document at all when
 * none did (mingo's own answers `{ <field>: 0 }`, which a `$lookup` of a count would then show as a
 * match). The field name is checked by mingo's.
 */
export function $count(collection: Iterator, expr: string, options: Options): Iterator {
  return pipelineOperators
    .$count(collection, expr, options)
    .filter((document: Record<string, number>) => (document[expr] ?? 0) > 0);
}
