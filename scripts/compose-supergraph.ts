/**
 * Composes tenantgraph (schema/) with the example weather subgraph (examples/weather-subgraph/) into
 * a supergraph, with Apollo's own composition library (@apollo/composition, the same code Rover and
 * GraphOS run). Used by `npm run supergraph` and by the composition tests, so that CI fails when a
 * change to schema/ breaks composition.
 */
import { readFileSync } from 'node:fs';
import { composeServices, type CompositionSuccess } from '@apollo/composition';
import { parse, type DocumentNode } from 'graphql';
import { loadTypeDefs, SCHEMA_DIR } from '../src/schema/type-defs.js';

export const WEATHER_SCHEMA_FILE = new URL('../examples/weather-subgraph/schema.graphql', import.meta.url);

export interface SubgraphSource {
  name: string;
  url: string;
  typeDefs: DocumentNode;
}

export const tenantgraphSubgraph = (url: string, schemaDir: string = SCHEMA_DIR): SubgraphSource => ({
  name: 'tenantgraph',
  url,
  typeDefs: loadTypeDefs(schemaDir),
});

export const weatherSubgraph = (url: string): SubgraphSource => ({
  name: 'weather',
  url,
  typeDefs: parse(readFileSync(WEATHER_SCHEMA_FILE, 'utf8')),
});

/**
 * Composition hints that are acceptable: informational or cosmetic, the supergraph means what the
 * subgraphs say. Every other hint code, including any code a later @apollo/composition adds, fails
 * composition here, because it says that something of a subgraph is dropped from the supergraph or
 * behaves differently through the gateway than in the subgraph:
 * INCONSISTENT_ARGUMENT_PRESENCE, INCONSISTENT_INPUT_OBJECT_FIELD, INCONSISTENT_ENUM_VALUE_FOR_INPUT_ENUM,
 * INCONSISTENT_DEFAULT_VALUE_PRESENCE, INCONSISTENT_ENTITY, INCONSISTENT_EXECUTABLE_DIRECTIVE_*,
 * NO_EXECUTABLE_DIRECTIVE_INTERSECTION, INCONSISTENT_NON_REPEATABLE_DIRECTIVE_ARGUMENTS,
 * DIRECTIVE_COMPOSITION_WARN, INCONSISTENT_RUNTIME_TYPES_FOR_SHAREABLE_RETURN,
 * FROM_SUBGRAPH_DOES_NOT_EXIST, CONTEXTUAL_ARGUMENT_NOT_CONTEXTUAL_IN_ALL_SUBGRAPHS.
 */
export const ACCEPTED_HINT_CODES: ReadonlySet<string> = new Set([
  // Descriptions differ between subgraphs; the supergraph keeps one.
  'INCONSISTENT_DESCRIPTION',
  // A shared field or argument is e.g. nullable in one subgraph and non-null in another; the
  // supergraph takes the type every subgraph can honour.
  'INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE',
  'INCONSISTENT_BUT_COMPATIBLE_ARGUMENT_TYPE',
  // A shareable value type (PageInfo), an output enum or a union has members in some subgraphs only;
  // the query planner asks each subgraph only for what it has (satisfiability is still checked).
  'INCONSISTENT_OBJECT_VALUE_TYPE_FIELD',
  'INCONSISTENT_INTERFACE_VALUE_TYPE_FIELD',
  'INCONSISTENT_UNION_MEMBER',
  'INCONSISTENT_ENUM_VALUE_FOR_OUTPUT_ENUM',
  'UNUSED_ENUM_TYPE',
  // Type-system directive definitions merged across subgraphs (@tag, say).
  'INCONSISTENT_TYPE_SYSTEM_DIRECTIVE_REPEATABLE',
  'INCONSISTENT_TYPE_SYSTEM_DIRECTIVE_LOCATIONS',
  'MERGED_NON_REPEATABLE_DIRECTIVE_ARGUMENTS',
  'DIRECTIVE_COMPOSITION_INFO',
  // A progressive @override in progress or finished; informational.
  'OVERRIDE_MIGRATION_IN_PROGRESS',
  'OVERRIDDEN_FIELD_CAN_BE_REMOVED',
  'OVERRIDE_DIRECTIVE_CAN_BE_REMOVED',
  'IMPLICITLY_UPGRADED_FEDERATION_VERSION',
]);

export interface CompositionProblem {
  kind: 'error' | 'hint';
  code: string;
  message: string;
}

export type ComposeOutcome =
  | { ok: true; supergraphSdl: string; acceptedHints: CompositionProblem[] }
  | { ok: false; problems: CompositionProblem[] };

const hintProblem = (hint: CompositionSuccess['hints'][number]): CompositionProblem => ({
  kind: 'hint',
  code: hint.definition.code,
  message: hint.message,
});

/** Composes the subgraphs; fails on any composition error and on any hint not in ACCEPTED_HINT_CODES. */
export function composeSupergraph(subgraphs: readonly SubgraphSource[]): ComposeOutcome {
  const result = composeServices(subgraphs.map(({ name, url, typeDefs }) => ({ name, url, typeDefs })));
  if (result.errors) {
    return {
      ok: false,
      problems: result.errors.map((error) => ({
        kind: 'error',
        code: String(error.extensions.code ?? 'COMPOSITION_ERROR'),
        message: error.message,
      })),
    };
  }
  const hints = result.hints.map(hintProblem);
  const refused = hints.filter((hint) => !ACCEPTED_HINT_CODES.has(hint.code));
  if (refused.length > 0) return { ok: false, problems: refused };
  return { ok: true, supergraphSdl: result.supergraphSdl, acceptedHints: hints };
}
