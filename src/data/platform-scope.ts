import { isPlatformCollectionName } from './collection-names.js';
import {
  assertFilter,
  assertSafeUpdate,
  checkPipeline,
  isPlainObject,
  lookupPipeline,
  refuse,
  type PipelineRules,
} from './query-guards.js';
import type { Scope } from './scope.js';

const platformPipelineRules: PipelineRules = {
  lookup(spec) {
    // Joining a tenant collection from platform data would read it across tenants.
    if (!isPlatformCollectionName(spec.from)) {
      refuse(`$lookup from ${JSON.stringify(spec.from)} is refused: only platform collections can be joined`);
    }
    return spec.pipeline === undefined ? spec : { ...spec, pipeline: lookupPipeline(spec, platformPipelineRules) };
  },
  match(filter) {
    assertFilter(filter);
  },
};

/** Platform data is not scoped by tenant, but gets the same refusals (server-side JS, `_id` updates). */
export const platformScope: Scope = {
  filter: (filter) => assertFilter(filter),
  insert(doc) {
    if (!isPlainObject(doc)) refuse('a document must be a plain object');
    return { ...doc };
  },
  update: (update) => assertSafeUpdate(update, ['_id']),
  pipeline: (pipeline) => checkPipeline(pipeline, platformPipelineRules),
};
