import type { Filter, Pipeline, PipelineStage, Update } from './documents.js';
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

/**
 * A caller may name `tenantId` in a filter only with the bound tenant as a plain value: any other
 * value (another tenant, `$in`, `$ne`) is a bug or an attack, and either way should be loud.
 */
function tenantKeyCheck(tenantId: string) {
  return (key: string, value: unknown): void => {
    if (key === 'tenantId' && value !== tenantId) refuse('a filter may not name another tenantId');
  };
}

/**
 * The caller's filter, checked, inside `$and` with the bound tenant: whatever operators it holds
 * (`$or`, `$nor`, `$expr`, …) can only narrow the tenant's documents, never widen them.
 */
export function scopeFilter(tenantId: string, filter: Filter): Filter {
  return { $and: [{ tenantId }, assertFilter(filter, tenantKeyCheck(tenantId))] };
}

/** The document stamped with the bound tenant; a different tenantId given by the caller is refused. */
export function scopeInsert(tenantId: string, doc: Record<string, unknown>): Record<string, unknown> {
  if (!isPlainObject(doc)) refuse('a document must be a plain object');
  if ('tenantId' in doc && doc.tenantId !== tenantId) refuse('a document may not name another tenantId');
  return { ...doc, tenantId };
}

/**
 * The update, refused when it touches `_id` or `tenantId`; an upsert also stamps the tenant through
 * `$setOnInsert` (the scoped filter stamps it too; both say the same, so the document cannot differ).
 */
export function scopeUpdate(tenantId: string, update: Update, options: { upsert: boolean }): Update {
  const checked = assertSafeUpdate(update, ['_id', 'tenantId']);
  if (!options.upsert) return checked;
  const setOnInsert = isPlainObject(checked.$setOnInsert) ? checked.$setOnInsert : {};
  return { ...checked, $setOnInsert: { ...setOnInsert, tenantId } };
}

/** Whether a name is a tenant collection (the catalog's answer, see collection-catalog.ts). */
export type IsTenantCollection = (name: unknown) => boolean;

/**
 * The pipeline behind a `$match` on the bound tenant, with every `$lookup` (nested ones and those in
 * `$facet` included) limited to tenant collections and to the bound tenant's documents in them.
 */
export function scopePipeline(
  tenantId: string,
  pipeline: Pipeline,
  isTenantCollection: IsTenantCollection,
): PipelineStage[] {
  return [{ $match: { tenantId } }, ...checkPipeline(pipeline, tenantPipelineRules(tenantId, isTenantCollection))];
}

function tenantPipelineRules(tenantId: string, isTenantCollection: IsTenantCollection): PipelineRules {
  const rules: PipelineRules = {
    lookup(spec) {
      if (!isTenantCollection(spec.from)) {
        refuse(`$lookup from ${JSON.stringify(spec.from)} is refused: only tenant collections can be joined`);
      }
      // With localField/foreignField kept, the pipeline runs on the equality matches (MongoDB ≥ 5.0).
      return { ...spec, pipeline: [{ $match: { tenantId } }, ...lookupPipeline(spec, rules)] };
    },
    match(filter) {
      assertFilter(filter, tenantKeyCheck(tenantId));
    },
  };
  return rules;
}

export function tenantScope(tenantId: string, isTenantCollection: IsTenantCollection): Scope {
  return {
    filter: (filter) => scopeFilter(tenantId, filter),
    insert: (doc) => scopeInsert(tenantId, doc),
    update: (update, options) => scopeUpdate(tenantId, update, options),
    pipeline: (pipeline) => scopePipeline(tenantId, pipeline, isTenantCollection),
  };
}
