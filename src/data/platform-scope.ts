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

function platformPipelineRules(isPlatformCollection: (name: unknown) => boolean): PipelineRules {
  const rules: PipelineRules = {
    lookup(spec) {
      // Joining a tenant collection from platform data would read it across tenants.
      if (!isPlatformCollection(spec.from)) {
        refuse(`$lookup from ${JSON.stringify(spec.from)} is refused: only platform collections can be joined`);
      }
      return spec.pipeline === undefined ? spec : { ...spec, pipeline: lookupPipeline(spec, rules) };
    },
    match(filter) {
      assertFilter(filter);
    },
  };
  return rules;
}

/**
 * Platform data is not scoped by tenant, but gets the same refusals (server-side JS, `_id` updates);
 * a `$lookup` joins only collections `isPlatformCollection` names.
 */
export function platformScope(isPlatformCollection: (name: unknown) => boolean): Scope {
  const rules = platformPipelineRules(isPlatformCollection);
  return {
    filter: (filter) => assertFilter(filter),
    insert(doc) {
      if (!isPlainObject(doc)) refuse('a document must be a plain object');
      return { ...doc };
    },
    update: (update) => assertSafeUpdate(update, ['_id']),
    pipeline: (pipeline) => checkPipeline(pipeline, rules),
  };
}
