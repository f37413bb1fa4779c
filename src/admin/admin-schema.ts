import type { AuditEntry } from './audit-log.js';
import type { AdminContext } from './admin-context.js';
import type { TenantDocument } from '../tenancy/identity-documents.js';
import { describePlacement, type Placement } from '../data/placement.js';
import type { MoveReport } from '../data/placement-move.js';
import type { ArchiveManifest } from './tenant-export.js';
import { usageHours } from '../limits/usage-query.js';

/**
 * The operator API's own schema (`POST /admin/graphql`): never part of the subgraph's SDL, so a
 * gateway cannot compose it and no tenant credential can reach it.
 */
export const adminTypeDefs = /* GraphQL */ `
  "A plan sets a tenant's limits (cost, rate, concurrency)."
  enum Plan {
    free
    standard
    enterprise
  }

  enum Role {
    VIEWER
    ANALYST
    EDITOR
    INTEGRATOR
    ADMIN
  }

  "MEMBER: the address belonged to a user, who is a member now; PENDING: it becomes one at first sign-in."
  enum InvitationOutcome {
    MEMBER
    PENDING
  }

  type Tenant {
    id: ID!
    slug: String!
    name: String!
    plan: Plan!
    suspended: Boolean!
    "ISO 8601; null unless suspended."
    suspendedAt: String
    suspendReason: String
    createdAt: String!
    placement: Placement!
  }

  "Where a tenant's data lives: the shared database (both null), a database of its own, or another cluster."
  type Placement {
    "The NAME of MONGODB_URI_<NAME>; null: the default cluster."
    cluster: String
    "null: the database of MONGODB_DB."
    database: String
    "shared, database <name>, or cluster <NAME> [database <name>]."
    description: String!
  }

  "Both null: the shared database."
  input PlacementInput {
    cluster: String
    database: String
  }

  type CollectionCount {
    collection: String!
    count: Int!
  }

  "What a move did: the tenant's documents per collection in its new placement, and how long its writes waited."
  type TenantMove {
    tenant: Tenant!
    from: Placement!
    to: Placement!
    copied: [CollectionCount!]!
    pausedMs: Int!
  }

  "One NDJSON file of an export archive: its documents (one per line), size and SHA-256 (hex)."
  type ExportFile {
    file: String!
    collection: String!
    count: Int!
    bytes: Int!
    sha256: String!
  }

  "A tenant's archive (a tar of NDJSON files and manifest.json) and the URL that downloads it until expiresAt."
  type TenantExport {
    tenant: Tenant!
    url: String!
    expiresAt: String!
    files: [ExportFile!]!
  }

  type Invitation {
    tenant: Tenant!
    email: String!
    roles: [Role!]!
    outcome: InvitationOutcome!
  }

  "One operator action: who, what, when, and which tenant (by slug)."
  type AuditEntry {
    at: String!
    actor: String!
    action: String!
    tenant: String
    "The action's arguments, as JSON."
    details: String!
  }

  type Operator {
    email: String!
  }

  "What a tenant used in one hour (UTC), from the usage ledger: the figures of the tenant API's UsageHour."
  type UsageHour {
    "The start of the hour, ISO 8601."
    hour: String!
    requests: Int!
    costAdmitted: Int!
    requestsThrottled: Int!
    rowsExported: Int!
    eventsDelivered: Int!
    bytesSent: Float!
  }

  type Query {
    tenants: [Tenant!]!
    tenant(slug: String!): Tenant
    "Newest first; \`tenant\` narrows to one slug; at most \`first\` (1 to 500) entries."
    auditLog(tenant: String, first: Int = 50): [AuditEntry!]!
    operators: [Operator!]!
    "A tenant's usage per hour from the hour of \`from\` up to \`to\` (ISO 8601, at most 31 days), oldest first; hours without traffic are left out."
    usage(tenant: String!, from: String!, to: String!): [UsageHour!]!
  }

  type Mutation {
    createTenant(slug: String!, name: String!, plan: Plan = standard): Tenant!
    "The first ADMIN of a new tenant is invited this way."
    inviteMember(tenant: String!, email: String!, roles: [Role!]!): Invitation!
    suspendTenant(slug: String!, reason: String!): Tenant!
    resumeTenant(slug: String!): Tenant!
    setTenantPlan(slug: String!, plan: Plan!): Tenant!
    "Deletes every document of a suspended tenant; \`confirm\` must repeat the slug."
    purgeTenant(slug: String!, confirm: String!): PurgeReport!
    "A complete archive of the tenant's data, and a time-bound URL to download it (no other credential needed)."
    exportTenant(slug: String!, ttlSeconds: Int): TenantExport!
    "Moves the tenant's data to another placement while it is served; its writes wait during the switch."
    moveTenant(slug: String!, placement: PlacementInput!): TenantMove!
  }

  type PurgeCount {
    collection: String!
    deleted: Int!
  }

  "What a purge deleted, by collection (those it deleted nothing from are left out)."
  type PurgeReport {
    tenant: String!
    deleted: [PurgeCount!]!
    total: Int!
  }
`;

const iso = (date: Date | null | undefined) => date?.toISOString() ?? null;

type Args = Record<string, unknown>;
const str = (args: Args, name: string) => args[name] as string;

export const adminResolvers = {
  Query: {
    tenants: (_parent: unknown, _args: Args, ctx: AdminContext) => ctx.console.listTenants(),
    tenant: (_parent: unknown, args: Args, ctx: AdminContext) => ctx.console.tenant(str(args, 'slug')),
    auditLog: (_parent: unknown, args: Args, ctx: AdminContext) =>
      ctx.console.auditLog({ tenant: (args.tenant as string | null) ?? null, first: args.first as number | null }),
    operators: (_parent: unknown, _args: Args, ctx: AdminContext) => ctx.console.listOperators(),
    usage: async (_parent: unknown, args: Args, ctx: AdminContext) =>
      usageHours(await ctx.console.usage(str(args, 'tenant'), new Date(str(args, 'from')), new Date(str(args, 'to')))),
  },
  Mutation: {
    createTenant: (_parent: unknown, args: Args, ctx: AdminContext) =>
      ctx.console.createTenant(ctx.actor, {
        slug: str(args, 'slug'),
        name: str(args, 'name'),
        plan: str(args, 'plan'),
      }),
    inviteMember: (_parent: unknown, args: Args, ctx: AdminContext) =>
      ctx.console.inviteMember(ctx.actor, {
        tenant: str(args, 'tenant'),
        email: str(args, 'email'),
        roles: args.roles as string[],
      }),
    suspendTenant: (_parent: unknown, args: Args, ctx: AdminContext) =>
      ctx.console.suspendTenant(ctx.actor, str(args, 'slug'), str(args, 'reason')),
    resumeTenant: (_parent: unknown, args: Args, ctx: AdminContext) =>
      ctx.console.resumeTenant(ctx.actor, str(args, 'slug')),
    purgeTenant: (_parent: unknown, args: Args, ctx: AdminContext) =>
      ctx.console.purgeTenant(ctx.actor, str(args, 'slug'), str(args, 'confirm')),
    exportTenant: (_parent: unknown, args: Args, ctx: AdminContext) =>
      ctx.console.exportTenant(ctx.actor, str(args, 'slug'), args.ttlSeconds as number | null),
    moveTenant: (_parent: unknown, args: Args, ctx: AdminContext) =>
      ctx.console.moveTenant(ctx.actor, str(args, 'slug'), args.placement as { cluster?: string; database?: string }),
    setTenantPlan: (_parent: unknown, args: Args, ctx: AdminContext) =>
      ctx.console.setTenantPlan(ctx.actor, str(args, 'slug'), str(args, 'plan')),
  },
  Tenant: {
    id: (tenant: TenantDocument) => tenant._id,
    plan: (tenant: TenantDocument) => tenant.plan ?? 'standard',
    suspended: (tenant: TenantDocument) => tenant.suspendedAt != null,
    suspendedAt: (tenant: TenantDocument) => iso(tenant.suspendedAt),
    suspendReason: (tenant: TenantDocument) => tenant.suspendReason ?? null,
    createdAt: (tenant: TenantDocument) => tenant.createdAt.toISOString(),
    placement: (tenant: TenantDocument, _args: Args, ctx: AdminContext) => ctx.console.placementOf(tenant._id),
  },
  Placement: {
    description: (placement: Placement) => describePlacement(placement),
  },
  TenantExport: {
    expiresAt: (exported: { expiresAt: Date }) => exported.expiresAt.toISOString(),
    files: (exported: { manifest: ArchiveManifest }) => exported.manifest.files,
  },
  TenantMove: {
    copied: (move: MoveReport) => Object.entries(move.copied).map(([collection, count]) => ({ collection, count })),
  },
  AuditEntry: {
    at: (entry: AuditEntry) => entry.at.toISOString(),
    details: (entry: AuditEntry) => JSON.stringify(entry.details),
  },
};
