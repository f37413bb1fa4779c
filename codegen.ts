import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { CodegenConfig } from '@graphql-codegen/cli';
import { persistedQueryManifestPlugin } from './src/bi/manifest.js';

/** The local plugin that writes the persisted query manifest (src/bi/manifest.ts), served by `pluginLoader`. */
const MANIFEST_PLUGIN = 'tenantgraph-persisted-query-manifest';

/**
 * The Federation 2 directives that schema/ uses, declared for codegen only: at run time
 * `buildSubgraphSchema` supplies the real definitions from the `@link` import. Their arguments are
 * typed as plain strings so that no federation scalar or enum (`_FieldSet`, `link__Import`) leaks
 * into the generated types. Declaring `@key` also stops codegen from injecting its Federation 1 spec.
 */
const federationDirectives = /* GraphQL */ `
  directive @link(url: String!, as: String, import: [String], for: String) repeatable on SCHEMA
  directive @key(fields: String!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
  directive @shareable repeatable on OBJECT | FIELD_DEFINITION
  directive @tag(
    name: String!
  ) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
`;

/**
 * The resolvers' parent types, by convention: a module's `src/modules/<name>/mappers.ts` exports
 * `<Type>Mapper` for each GraphQL type that resolves from a model of its own (a stored document, say).
 * Nothing central lists them, so a new module's mappers need no edit here.
 */
function moduleMappers(): Record<string, string> {
  const mappers: Record<string, string> = {};
  for (const module of readdirSync('src/modules', { withFileTypes: true })) {
    const file = `src/modules/${module.name}/mappers.ts`;
    if (!module.isDirectory() || !existsSync(file)) continue;
    const exported = /\b(?:as|type|interface)\s+(\w+)Mapper\b/g;
    for (const [, type] of readFileSync(file, 'utf8').matchAll(exported)) {
      if (type) mappers[type] = `../modules/${module.name}/mappers.js#${type}Mapper`;
    }
  }
  return mappers;
}

const config: CodegenConfig = {
  overwrite: true,
  schema: ['schema/*.graphql', federationDirectives],
  generates: {
    'src/generated/graphql.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        contextType: '../context.js#RequestContext',
        useIndexSignature: true,
        useTypeImports: true,
        enumsAsTypes: true,
        federation: true,
        scalars: {
          Date: 'string',
          DateTime: 'string',
          JSON: 'unknown',
        },
        mappers: moduleMappers(),
      },
    },
    // The trusted (persisted) operations of BI tools, validated against the schema by codegen and
    // compiled into an Apollo persisted query manifest that the server loads at start-up.
    'persisted-query-manifest.json': {
      documents: 'schema/operations/*.graphql',
      plugins: [MANIFEST_PLUGIN],
    },
  },
  // Codegen tries the plugin under several package names before the bare one; only the bare name is ours.
  pluginLoader: async (module: string) => (module === MANIFEST_PLUGIN ? persistedQueryManifestPlugin : import(module)),
};

export default config;
