import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { ApiKeyMapper } from '../modules/api-keys/mappers.js';
import type { TrustedOperationMapper } from '../modules/bi/mappers.js';
import type { JobMapper } from '../modules/jobs/mappers.js';
import type { ParkMapper } from '../modules/parks/mappers.js';
import type { ReservationMapper } from '../modules/reservations/mappers.js';
import type { TenantMapper } from '../modules/tenants/mappers.js';
import type { RequestContext } from '../context.js';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Omit<T, K extends keyof T> = Pick<T, Exclude<keyof T, K>>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** A calendar date, `YYYY-MM-DD`. */
  Date: { input: string; output: string; }
  /** An instant in ISO 8601 UTC, e.g. `2026-11-22T10:00:00.000Z`. */
  DateTime: { input: string; output: string; }
  /** Any JSON value. */
  JSON: { input: unknown; output: unknown; }
};

/** A credential for an integration, bound to the active tenant. Its secret is never stored or shown again. */
export type ApiKey = {
  __typename?: 'ApiKey';
  createdAt: Scalars['DateTime']['output'];
  /**
   * The member whose roles bound this key's: its creator, or, for a key created by a key, that key's
   * creating member. The key acts only with the roles this member still holds in the tenant.
   */
  createdBy?: Maybe<User>;
  expiresAt?: Maybe<Scalars['DateTime']['output']>;
  id: Scalars['ID']['output'];
  lastUsedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Rate limits of the key's own, below its tenant's plan; null when it has none. */
  limits?: Maybe<ApiKeyLimits>;
  name: Scalars['String']['output'];
  /**
   * The trusted operations (by name) this key may run, and nothing else; null when the key is not
   * limited to named operations.
   */
  operations?: Maybe<Array<Scalars['String']['output']>>;
  revokedAt?: Maybe<Scalars['DateTime']['output']>;
  roles: Array<Role>;
};

/** Cost-point limits of one API key, each applied when lower than its tenant's plan (docs/limits.md). */
export type ApiKeyLimits = {
  __typename?: 'ApiKeyLimits';
  /** The size of the key's own bucket. */
  bucketSize?: Maybe<Scalars['Int']['output']>;
  /** The largest cost of one operation of the key. */
  maxCost?: Maybe<Scalars['Int']['output']>;
  /** Points restored per second to the key's own bucket. */
  restoreRate?: Maybe<Scalars['Int']['output']>;
};

export type ApiKeyLimitsInput = {
  bucketSize?: InputMaybe<Scalars['Int']['input']>;
  maxCost?: InputMaybe<Scalars['Int']['input']>;
  restoreRate?: InputMaybe<Scalars['Int']['input']>;
};

export type CreateApiKeyInput = {
  expiresAt?: InputMaybe<Scalars['DateTime']['input']>;
  /** Limits of the key's own, lower than the tenant's plan: a shared integration key cannot spend the tenant's whole budget. */
  limits?: InputMaybe<ApiKeyLimitsInput>;
  name: Scalars['String']['input'];
  /**
   * Limits the key to these trusted operations (repository or tenant, by name): it then runs those by
   * their hash and nothing else, so a leaked dashboard key reads one dashboard. Omitted or null: no limit
   * beyond the key's roles (a key whose only role is ANALYST still runs trusted operations only).
   */
  operations?: InputMaybe<Array<Scalars['String']['input']>>;
  /** Roles the caller holds (ADMIN holds every role's rights, EDITOR those of VIEWER). */
  roles: Array<Role>;
};

export type CreateExportJobInput = {
  format: JobFormat;
  /** The name of a trusted operation of the active tenant (`trustedOperations`). */
  operation: Scalars['String']['input'];
  variables?: InputMaybe<Scalars['JSON']['input']>;
};

export type CreateImportJobInput = {
  entity: ImportEntity;
  format: JobFormat;
};

export type CreateParkInput = {
  capacity?: InputMaybe<Scalars['Int']['input']>;
  name: Scalars['String']['input'];
  region?: InputMaybe<Scalars['String']['input']>;
};

export type CreateReservationInput = {
  date: Scalars['Date']['input'];
  parkId: Scalars['ID']['input'];
  partySize: Scalars['Int']['input'];
  visitorEmail: Scalars['String']['input'];
  visitorName: Scalars['String']['input'];
};

export type CreatedApiKey = {
  __typename?: 'CreatedApiKey';
  apiKey: ApiKey;
  /** The secret (`tgk_…`), shown once. */
  secret: Scalars['String']['output'];
};

/** A new import job and the single-use URL to `PUT` its file to: the upload starts the job. */
export type CreatedImportJob = {
  __typename?: 'CreatedImportJob';
  job: Job;
  /** The largest file the URL accepts, in bytes. */
  maxBytes: Scalars['Float']['output'];
  uploadExpiresAt: Scalars['DateTime']['output'];
  uploadUrl: Scalars['String']['output'];
};

/** A CloudEvents 1.0 event, one per committed change, in the tenant's commit order. */
export type ExportEvent = {
  __typename?: 'ExportEvent';
  /** Opaque; pass it as `after` to resume right after this event. */
  cursor: Scalars['String']['output'];
  /**
   * The object after the change, as this API shows it (global ids); `{ id }` for a deletion.
   * Personal data (`visitorEmail`) is included only for subscribers who may read it (EDITOR, ADMIN).
   */
  data: Scalars['JSON']['output'];
  /** Always `application/json`. */
  datacontenttype: Scalars['String']['output'];
  /** The event's id, unique within its source; the same on every delivery (a consumer may deduplicate on it). */
  id: Scalars['ID']['output'];
  /** The tenant's event source, `urn:tenantgraph:tenant:<slug>`. */
  source: Scalars['String']['output'];
  /** Always `1.0`. */
  specversion: Scalars['String']['output'];
  /** The global id of the object that changed. */
  subject?: Maybe<Scalars['String']['output']>;
  /** The tenant's slug. */
  tenant: Scalars['String']['output'];
  /** When the change was committed (ISO 8601 UTC). */
  time: Scalars['DateTime']['output'];
  /** `park.created`, `park.updated`, `park.deleted`, `reservation.created` or `reservation.cancelled`. */
  type: Scalars['String']['output'];
};

export type ExportFormat =
  /** RFC 4180 CSV, a header row of dotted paths (`park.name`). */
  | 'CSV'
  /** Newline-delimited JSON, one row object per line. */
  | 'NDJSON';

/**
 * A valet-key link: the rows of one trusted operation, with fixed variables, in one format, for whoever
 * holds the URL until it expires. It runs in the tenant, with the roles its creator had when creating it.
 */
export type ExportLink = {
  __typename?: 'ExportLink';
  expiresAt: Scalars['DateTime']['output'];
  url: Scalars['String']['output'];
};

/** What an import job reads into: the rows carry the fields of the matching create mutation's input. */
export type ImportEntity =
  /** Rows of `CreateParkInput`: `name`, `region`, `capacity`. */
  | 'PARK'
  /** Rows of `CreateReservationInput`: `parkId`, `visitorName`, `visitorEmail`, `partySize`, `date`. */
  | 'RESERVATION';

/** An import or export job of the active tenant (docs/jobs.md). */
export type Job = {
  __typename?: 'Job';
  createdAt: Scalars['DateTime']['output'];
  downloadExpiresAt?: Maybe<Scalars['DateTime']['output']>;
  /** A SUCCEEDED export: a time-bound URL of the file, no other credential needed (a new one at each read). */
  downloadUrl?: Maybe<Scalars['String']['output']>;
  /** Imports: what the rows create. */
  entity?: Maybe<ImportEntity>;
  /** Imports: the first 1,000 invalid lines, by line number. */
  errors: Array<JobRowError>;
  /** Why a FAILED job failed. */
  failure?: Maybe<Scalars['String']['output']>;
  finishedAt?: Maybe<Scalars['DateTime']['output']>;
  format: JobFormat;
  id: Scalars['ID']['output'];
  kind: JobKind;
  /** Imports: data lines read so far; exports: rows written so far. */
  linesRead: Scalars['Int']['output'];
  /** Exports: the trusted operation by name. */
  operation?: Maybe<Scalars['String']['output']>;
  /** Imports: lines skipped as invalid. */
  rowsFailed: Scalars['Int']['output'];
  /** Rows written (imported, or exported). */
  rowsWritten: Scalars['Int']['output'];
  startedAt?: Maybe<Scalars['DateTime']['output']>;
  status: JobStatus;
};

export type JobFormat =
  /** RFC 4180 CSV with a header line; an export neutralises formula-leading text cells with a leading `'`. */
  | 'CSV'
  /** Newline-delimited JSON, one object per line, values unchanged. */
  | 'NDJSON';

export type JobKind =
  | 'EXPORT'
  | 'IMPORT';

/** An input line of an import that was skipped. */
export type JobRowError = {
  __typename?: 'JobRowError';
  /** 1-based line of the file (for CSV the header is line 1). */
  line: Scalars['Int']['output'];
  message: Scalars['String']['output'];
};

export type JobStatus =
  | 'CANCELLED'
  /** Stopped by a problem that concerns the whole job (unreadable file, the creating credential's rights gone); see `failure`. */
  | 'FAILED'
  /** Waiting: for its file (an import not yet uploaded), or for a free slot of the tenant's plan. */
  | 'PENDING'
  | 'RUNNING'
  | 'SUCCEEDED';

/** A user's membership of the active tenant, as its admins manage it. */
export type Member = {
  __typename?: 'Member';
  roles: Array<Role>;
  user: User;
};

/** An invitation as a tenant admin sent it: the same whether or not the address belongs to a user yet. */
export type MemberInvitation = {
  __typename?: 'MemberInvitation';
  email: Scalars['String']['output'];
  roles: Array<Role>;
};

export type Membership = {
  __typename?: 'Membership';
  roles: Array<Role>;
  tenant: Tenant;
};

export type Mutation = {
  __typename?: 'Mutation';
  /** Cancels a waiting or running job (its creator or an ADMIN); rows already imported stay. */
  cancelJob: Job;
  cancelReservation: Reservation;
  createApiKey: CreatedApiKey;
  /** An export job (ANALYST, EDITOR, ADMIN): the whole result of a trusted operation, paged into a file. */
  createExportJob: Job;
  /**
   * A signed link returning the rows of a trusted operation without any other credential until it
   * expires. `ttlSeconds` is at most the server's EXPORT_LINK_MAX_TTL_SECONDS.
   */
  createExportLink: ExportLink;
  /** An import job (EDITOR, ADMIN) and its upload URL; rows are validated like the create mutation's input. */
  createImportJob: CreatedImportJob;
  createPark: Park;
  createReservation: Reservation;
  /** Deletes the park and returns its id. A park that still has reservations cannot be deleted. */
  deletePark: Scalars['ID']['output'];
  /**
   * Adds a member to the active tenant (ADMIN): the user with this address becomes one at once, or at
   * their first sign-in when nobody has the address yet. The answer is the same either way.
   */
  inviteMember: MemberInvitation;
  /**
   * Adds a trusted operation of the active tenant (ADMIN). `document` holds exactly one query
   * operation, named `name`, valid against the schema and within the query limits.
   */
  registerTrustedOperation: TrustedOperation;
  /** Removes a trusted operation of the active tenant and returns it (ADMIN). */
  removeTrustedOperation: TrustedOperation;
  revokeApiKey: ApiKey;
  /** Replaces the active tenant's link-signing secret: every export link created before stops working (ADMIN). */
  rotateExportLinkSecret: Scalars['Boolean']['output'];
  /**
   * Sets the roles of a member of the active tenant (ADMIN); an empty list removes the membership. An
   * address that names no member gets NOT_FOUND, whether or not it belongs to a user of another tenant.
   */
  setMemberRoles: Member;
  /** Makes the tenant with this slug the caller's stored active tenant. The caller must be a member. */
  switchTenant: Viewer;
  updatePark: Park;
};


export type MutationCancelJobArgs = {
  id: Scalars['ID']['input'];
};


export type MutationCancelReservationArgs = {
  id: Scalars['ID']['input'];
};


export type MutationCreateApiKeyArgs = {
  input: CreateApiKeyInput;
};


export type MutationCreateExportJobArgs = {
  input: CreateExportJobInput;
};


export type MutationCreateExportLinkArgs = {
  format: ExportFormat;
  operationName: Scalars['String']['input'];
  ttlSeconds: Scalars['Int']['input'];
  variables?: InputMaybe<Scalars['JSON']['input']>;
};


export type MutationCreateImportJobArgs = {
  input: CreateImportJobInput;
};


export type MutationCreateParkArgs = {
  input: CreateParkInput;
};


export type MutationCreateReservationArgs = {
  input: CreateReservationInput;
};


export type MutationDeleteParkArgs = {
  id: Scalars['ID']['input'];
};


export type MutationInviteMemberArgs = {
  email: Scalars['String']['input'];
  roles: Array<Role>;
};


export type MutationRegisterTrustedOperationArgs = {
  document: Scalars['String']['input'];
  name: Scalars['String']['input'];
};


export type MutationRemoveTrustedOperationArgs = {
  name: Scalars['String']['input'];
};


export type MutationRevokeApiKeyArgs = {
  id: Scalars['ID']['input'];
};


export type MutationSetMemberRolesArgs = {
  email: Scalars['String']['input'];
  roles: Array<Role>;
};


export type MutationSwitchTenantArgs = {
  slug: Scalars['String']['input'];
};


export type MutationUpdateParkArgs = {
  id: Scalars['ID']['input'];
  input: UpdateParkInput;
};

/** Relay pagination state of a connection. */
export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
};

export type Park = {
  __typename?: 'Park';
  capacity?: Maybe<Scalars['Int']['output']>;
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
  region?: Maybe<Scalars['String']['output']>;
  reservations: ReservationConnection;
};


export type ParkReservationsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

export type ParkConnection = {
  __typename?: 'ParkConnection';
  edges: Array<ParkEdge>;
  nodes: Array<Park>;
  pageInfo: PageInfo;
};

export type ParkEdge = {
  __typename?: 'ParkEdge';
  cursor: Scalars['String']['output'];
  node: Park;
};

/** A tenant's plan: the numbers of each are configuration, documented in docs/limits.md. */
export type Plan =
  | 'ENTERPRISE'
  | 'FREE'
  | 'STANDARD';

export type Query = {
  __typename?: 'Query';
  /** The API keys of the active tenant, revoked ones included (ADMIN). */
  apiKeys: Array<ApiKey>;
  /** A job of the active tenant, for its creator and the tenant's ADMINs; null for anyone else. */
  job?: Maybe<Job>;
  /** The members of the active tenant (ADMIN). */
  members: Array<Member>;
  park?: Maybe<Park>;
  /** The tenant's parks by creation order. `first` defaults to 20 and is clamped to 100. */
  parks: ParkConnection;
  /** The active tenant's rate limit; null without an active tenant. */
  rateLimit?: Maybe<RateLimit>;
  reservation?: Maybe<Reservation>;
  reservationStats: Array<ReservationStat>;
  /**
   * The tenant's reservations by creation order. `first` defaults to 20 and is clamped to 100.
   * `from` and `to` (both inclusive, either optional) keep the reservations dated within them.
   */
  reservations: ReservationConnection;
  /** The trusted operations runnable in the active tenant: the repository's, then the tenant's own by name. */
  trustedOperations: Array<TrustedOperation>;
  /**
   * The active tenant's usage per hour, from the hour of `from` up to `to` (at most 31 days), oldest
   * first; hours without traffic are left out. Written in batches: the last few seconds may be missing.
   */
  usage: Array<UsageHour>;
  viewer: Viewer;
};


export type QueryJobArgs = {
  id: Scalars['ID']['input'];
};


export type QueryParkArgs = {
  id: Scalars['ID']['input'];
};


export type QueryParksArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryReservationArgs = {
  id: Scalars['ID']['input'];
};


export type QueryReservationStatsArgs = {
  from?: InputMaybe<Scalars['Date']['input']>;
  groupBy: ReservationStatsGroupBy;
  to?: InputMaybe<Scalars['Date']['input']>;
};


export type QueryReservationsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  from?: InputMaybe<Scalars['Date']['input']>;
  to?: InputMaybe<Scalars['Date']['input']>;
};


export type QueryUsageArgs = {
  from: Scalars['DateTime']['input'];
  to: Scalars['DateTime']['input'];
};

/**
 * The active tenant's cost bucket, in cost points: the figures of `extensions.cost` and of the
 * RateLimit headers. Each operation's cost is taken from it before the operation runs.
 */
export type RateLimit = {
  __typename?: 'RateLimit';
  /** The largest cost one operation may have. */
  maxCostPerOperation: Scalars['Int']['output'];
  /** The bucket's size: the most points that can be spent at once. */
  maximum: Scalars['Int']['output'];
  plan: Plan;
  /** Points held now. */
  remaining: Scalars['Int']['output'];
  /** Seconds until the bucket is full again. */
  resetSeconds: Scalars['Int']['output'];
  /** Points restored per second. */
  restoreRate: Scalars['Int']['output'];
};

export type Reservation = {
  __typename?: 'Reservation';
  date: Scalars['Date']['output'];
  id: Scalars['ID']['output'];
  park: Park;
  partySize: Scalars['Int']['output'];
  status: ReservationStatus;
  /** Personal data: readable by EDITOR and ADMIN only. */
  visitorEmail?: Maybe<Scalars['String']['output']>;
  /** Personal data (a visitor's name), tagged for contracts and field-level governance in the supergraph. */
  visitorName: Scalars['String']['output'];
};

export type ReservationConnection = {
  __typename?: 'ReservationConnection';
  edges: Array<ReservationEdge>;
  nodes: Array<Reservation>;
  pageInfo: PageInfo;
};

export type ReservationEdge = {
  __typename?: 'ReservationEdge';
  cursor: Scalars['String']['output'];
  node: Reservation;
};

/** Confirmed reservations and visitors of one group: a park id, or a month `YYYY-MM`. */
export type ReservationStat = {
  __typename?: 'ReservationStat';
  key: Scalars['String']['output'];
  reservations: Scalars['Int']['output'];
  visitors: Scalars['Int']['output'];
};

export type ReservationStatsGroupBy =
  | 'MONTH'
  | 'PARK';

export type ReservationStatus =
  | 'CANCELLED'
  | 'CONFIRMED';

/** A role the caller holds within the active tenant; rights are the union of the roles held. */
export type Role =
  | 'ADMIN'
  | 'ANALYST'
  | 'EDITOR'
  | 'INTEGRATOR'
  | 'VIEWER';

export type Subscription = {
  __typename?: 'Subscription';
  /**
   * The active tenant's export events (INTEGRATOR or ADMIN). Without `after`: the events committed
   * from now on. With `after` (the cursor of an event received earlier): every event after it, then
   * the live ones, in order, each exactly once. `types` keeps the events of these exact types (omitted
   * or null: every type; an empty list or an unknown type is BAD_USER_INPUT). A cursor older than the
   * retention period is BAD_USER_INPUT: subscribe again without `after`. A subscriber that falls more
   * than the server's buffer behind gets RATE_LIMITED: resume from the last cursor.
   */
  exportEvents: ExportEvent;
  /** The job now, then again at each change of its status or counts, until it ends. */
  jobProgress: Job;
};


export type SubscriptionExportEventsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  types?: InputMaybe<Array<Scalars['String']['input']>>;
};


export type SubscriptionJobProgressArgs = {
  id: Scalars['ID']['input'];
};

/** An organisation whose data is kept apart from every other's. */
export type Tenant = {
  __typename?: 'Tenant';
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
  slug: Scalars['String']['output'];
};

/**
 * A named query that BI tools run by its hash (`extensions.persistedQuery.sha256Hash`, Apollo's APQ
 * wire format), over `GET`/`POST /graphql` or as a file at `GET /bi/<name>.csv` / `.ndjson`.
 */
export type TrustedOperation = {
  __typename?: 'TrustedOperation';
  /** The document in normal form (as graphql-js prints it): exactly what the hash is taken of. */
  body: Scalars['String']['output'];
  /** When a tenant admin registered it; null for the repository's. */
  createdAt?: Maybe<Scalars['DateTime']['output']>;
  /** The SHA-256 (hex) of `body`: the `sha256Hash` that runs it. */
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
  source: TrustedOperationSource;
};

/** Where a trusted operation comes from. */
export type TrustedOperationSource =
  /** schema/operations/ of the repository, compiled into persisted-query-manifest.json. */
  | 'REPOSITORY'
  /** Registered by an admin of the active tenant; runs in that tenant only. */
  | 'TENANT';

export type UpdateParkInput = {
  capacity?: InputMaybe<Scalars['Int']['input']>;
  name?: InputMaybe<Scalars['String']['input']>;
  region?: InputMaybe<Scalars['String']['input']>;
};

/** What the active tenant used in one hour (UTC), from the usage ledger. */
export type UsageHour = {
  __typename?: 'UsageHour';
  /** Bytes of GraphQL responses sent over HTTP. */
  bytesSent: Scalars['Float']['output'];
  /** Cost points kept from the tenant's bucket (the actual cost of the operations admitted). */
  costAdmitted: Scalars['Int']['output'];
  /** Export events delivered to exportEvents subscribers. */
  eventsDelivered: Scalars['Int']['output'];
  /** The start of the hour. */
  hour: Scalars['DateTime']['output'];
  /** GraphQL operations received, admitted or not. */
  requests: Scalars['Int']['output'];
  /** Operations refused with RATE_LIMITED. */
  requestsThrottled: Scalars['Int']['output'];
  /** Rows written by CSV and NDJSON exports. */
  rowsExported: Scalars['Int']['output'];
};

export type User = {
  __typename?: 'User';
  email: Scalars['String']['output'];
  id: Scalars['ID']['output'];
};

/** Who is calling, in which tenant, with which roles. */
export type Viewer = {
  __typename?: 'Viewer';
  memberships: Array<Membership>;
  /** The caller's roles in the active tenant. */
  roles: Array<Role>;
  /** The active tenant of this request; null for a user who belongs to no tenant. */
  tenant?: Maybe<Tenant>;
  user: User;
};

export type WithIndex<TObject> = TObject & Record<string, any>;
export type ResolversObject<TObject> = WithIndex<TObject>;

export type ResolverTypeWrapper<T> = Promise<T> | T;

export type ReferenceResolver<TResult, TReference, TContext> = (
      reference: TReference,
      context: TContext,
      info: GraphQLResolveInfo
    ) => Promise<TResult> | TResult;

      type ScalarCheck<T, S> = S extends true ? T : NullableCheck<T, S>;
      type NullableCheck<T, S> = Maybe<T> extends T ? Maybe<ListCheck<NonNullable<T>, S>> : ListCheck<T, S>;
      type ListCheck<T, S> = T extends (infer U)[] ? NullableCheck<U, S>[] : GraphQLRecursivePick<T, S>;
      export type GraphQLRecursivePick<T, S> = { [K in keyof T & keyof S]: ScalarCheck<T[K], S[K]> };
    

export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

/** Mapping of federation types */
export type FederationTypes = ResolversObject<{
  Park: Park;
  Reservation: Reservation;
  Tenant: Tenant;
}>;

/** Mapping of federation reference types */
export type FederationReferenceTypes = ResolversObject<{
  Park:
    ( { __typename: 'Park' }
    & GraphQLRecursivePick<FederationTypes['Park'], {"id":true}> );
  Reservation:
    ( { __typename: 'Reservation' }
    & GraphQLRecursivePick<FederationTypes['Reservation'], {"id":true}> );
  Tenant:
    ( { __typename: 'Tenant' }
    & GraphQLRecursivePick<FederationTypes['Tenant'], {"id":true}> );
}>;



/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = ResolversObject<{
  ApiKey: ResolverTypeWrapper<ApiKeyMapper>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  ApiKeyLimits: ResolverTypeWrapper<ApiKeyLimits>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  ApiKeyLimitsInput: ApiKeyLimitsInput;
  CreateApiKeyInput: CreateApiKeyInput;
  CreateExportJobInput: CreateExportJobInput;
  CreateImportJobInput: CreateImportJobInput;
  CreateParkInput: CreateParkInput;
  CreateReservationInput: CreateReservationInput;
  CreatedApiKey: ResolverTypeWrapper<Omit<CreatedApiKey, 'apiKey'> & { apiKey: ResolversTypes['ApiKey'] }>;
  CreatedImportJob: ResolverTypeWrapper<Omit<CreatedImportJob, 'job'> & { job: ResolversTypes['Job'] }>;
  Float: ResolverTypeWrapper<Scalars['Float']['output']>;
  Date: ResolverTypeWrapper<Scalars['Date']['output']>;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  ExportEvent: ResolverTypeWrapper<ExportEvent>;
  ExportFormat: ExportFormat;
  ExportLink: ResolverTypeWrapper<ExportLink>;
  ImportEntity: ImportEntity;
  JSON: ResolverTypeWrapper<Scalars['JSON']['output']>;
  Job: ResolverTypeWrapper<JobMapper>;
  JobFormat: JobFormat;
  JobKind: JobKind;
  JobRowError: ResolverTypeWrapper<JobRowError>;
  JobStatus: JobStatus;
  Member: ResolverTypeWrapper<Member>;
  MemberInvitation: ResolverTypeWrapper<MemberInvitation>;
  Membership: ResolverTypeWrapper<Omit<Membership, 'tenant'> & { tenant: ResolversTypes['Tenant'] }>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  Park: ResolverTypeWrapper<ParkMapper>;
  ParkConnection: ResolverTypeWrapper<Omit<ParkConnection, 'edges' | 'nodes'> & { edges: Array<ResolversTypes['ParkEdge']>, nodes: Array<ResolversTypes['Park']> }>;
  ParkEdge: ResolverTypeWrapper<Omit<ParkEdge, 'node'> & { node: ResolversTypes['Park'] }>;
  Plan: Plan;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  RateLimit: ResolverTypeWrapper<RateLimit>;
  Reservation: ResolverTypeWrapper<ReservationMapper>;
  ReservationConnection: ResolverTypeWrapper<Omit<ReservationConnection, 'edges' | 'nodes'> & { edges: Array<ResolversTypes['ReservationEdge']>, nodes: Array<ResolversTypes['Reservation']> }>;
  ReservationEdge: ResolverTypeWrapper<Omit<ReservationEdge, 'node'> & { node: ResolversTypes['Reservation'] }>;
  ReservationStat: ResolverTypeWrapper<ReservationStat>;
  ReservationStatsGroupBy: ReservationStatsGroupBy;
  ReservationStatus: ReservationStatus;
  Role: Role;
  Subscription: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Tenant: ResolverTypeWrapper<TenantMapper>;
  TrustedOperation: ResolverTypeWrapper<TrustedOperationMapper>;
  TrustedOperationSource: TrustedOperationSource;
  UpdateParkInput: UpdateParkInput;
  UsageHour: ResolverTypeWrapper<UsageHour>;
  User: ResolverTypeWrapper<User>;
  Viewer: ResolverTypeWrapper<Omit<Viewer, 'memberships' | 'tenant'> & { memberships: Array<ResolversTypes['Membership']>, tenant?: Maybe<ResolversTypes['Tenant']> }>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
}>;

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = ResolversObject<{
  ApiKey: ApiKeyMapper;
  ID: Scalars['ID']['output'];
  ApiKeyLimits: ApiKeyLimits;
  Int: Scalars['Int']['output'];
  ApiKeyLimitsInput: ApiKeyLimitsInput;
  CreateApiKeyInput: CreateApiKeyInput;
  CreateExportJobInput: CreateExportJobInput;
  CreateImportJobInput: CreateImportJobInput;
  CreateParkInput: CreateParkInput;
  CreateReservationInput: CreateReservationInput;
  CreatedApiKey: Omit<CreatedApiKey, 'apiKey'> & { apiKey: ResolversParentTypes['ApiKey'] };
  CreatedImportJob: Omit<CreatedImportJob, 'job'> & { job: ResolversParentTypes['Job'] };
  Float: Scalars['Float']['output'];
  Date: Scalars['Date']['output'];
  DateTime: Scalars['DateTime']['output'];
  ExportEvent: ExportEvent;
  ExportLink: ExportLink;
  JSON: Scalars['JSON']['output'];
  Job: JobMapper;
  JobRowError: JobRowError;
  Member: Member;
  MemberInvitation: MemberInvitation;
  Membership: Omit<Membership, 'tenant'> & { tenant: ResolversParentTypes['Tenant'] };
  Mutation: Record<PropertyKey, never>;
  PageInfo: PageInfo;
  Park: ParkMapper;
  ParkConnection: Omit<ParkConnection, 'edges' | 'nodes'> & { edges: Array<ResolversParentTypes['ParkEdge']>, nodes: Array<ResolversParentTypes['Park']> };
  ParkEdge: Omit<ParkEdge, 'node'> & { node: ResolversParentTypes['Park'] };
  Query: Record<PropertyKey, never>;
  RateLimit: RateLimit;
  Reservation: ReservationMapper;
  ReservationConnection: Omit<ReservationConnection, 'edges' | 'nodes'> & { edges: Array<ResolversParentTypes['ReservationEdge']>, nodes: Array<ResolversParentTypes['Reservation']> };
  ReservationEdge: Omit<ReservationEdge, 'node'> & { node: ResolversParentTypes['Reservation'] };
  ReservationStat: ReservationStat;
  Subscription: Record<PropertyKey, never>;
  Tenant: TenantMapper;
  TrustedOperation: TrustedOperationMapper;
  UpdateParkInput: UpdateParkInput;
  UsageHour: UsageHour;
  User: User;
  Viewer: Omit<Viewer, 'memberships' | 'tenant'> & { memberships: Array<ResolversParentTypes['Membership']>, tenant?: Maybe<ResolversParentTypes['Tenant']> };
  String: Scalars['String']['output'];
  Boolean: Scalars['Boolean']['output'];
}>;

export type LinkDirectiveArgs = {
  as?: Maybe<Scalars['String']['input']>;
  for?: Maybe<Scalars['String']['input']>;
  import?: Maybe<Array<Maybe<Scalars['String']['input']>>>;
  url: Scalars['String']['input'];
};

export type LinkDirectiveResolver<Result, Parent, ContextType = RequestContext, Args = LinkDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type ShareableDirectiveArgs = { };

export type ShareableDirectiveResolver<Result, Parent, ContextType = RequestContext, Args = ShareableDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type TagDirectiveArgs = {
  name: Scalars['String']['input'];
};

export type TagDirectiveResolver<Result, Parent, ContextType = RequestContext, Args = TagDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type ApiKeyResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['ApiKey'] = ResolversParentTypes['ApiKey']> = ResolversObject<{
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  createdBy?: Resolver<Maybe<ResolversTypes['User']>, ParentType, ContextType>;
  expiresAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lastUsedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  limits?: Resolver<Maybe<ResolversTypes['ApiKeyLimits']>, ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  operations?: Resolver<Maybe<Array<ResolversTypes['String']>>, ParentType, ContextType>;
  revokedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  roles?: Resolver<Array<ResolversTypes['Role']>, ParentType, ContextType>;
}>;

export type ApiKeyLimitsResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['ApiKeyLimits'] = ResolversParentTypes['ApiKeyLimits']> = ResolversObject<{
  bucketSize?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  maxCost?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  restoreRate?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
}>;

export type CreatedApiKeyResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['CreatedApiKey'] = ResolversParentTypes['CreatedApiKey']> = ResolversObject<{
  apiKey?: Resolver<ResolversTypes['ApiKey'], ParentType, ContextType>;
  secret?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type CreatedImportJobResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['CreatedImportJob'] = ResolversParentTypes['CreatedImportJob']> = ResolversObject<{
  job?: Resolver<ResolversTypes['Job'], ParentType, ContextType>;
  maxBytes?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  uploadExpiresAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  uploadUrl?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export interface DateScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['Date'], any> {
  name: 'Date';
}

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export type ExportEventResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['ExportEvent'] = ResolversParentTypes['ExportEvent']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  data?: Resolver<ResolversTypes['JSON'], ParentType, ContextType>;
  datacontenttype?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  source?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  specversion?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  subject?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  tenant?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  time?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  type?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type ExportLinkResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['ExportLink'] = ResolversParentTypes['ExportLink']> = ResolversObject<{
  expiresAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  url?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export interface JsonScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['JSON'], any> {
  name: 'JSON';
}

export type JobResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['Job'] = ResolversParentTypes['Job']> = ResolversObject<{
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  downloadExpiresAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  downloadUrl?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  entity?: Resolver<Maybe<ResolversTypes['ImportEntity']>, ParentType, ContextType>;
  errors?: Resolver<Array<ResolversTypes['JobRowError']>, ParentType, ContextType>;
  failure?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  finishedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  format?: Resolver<ResolversTypes['JobFormat'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  kind?: Resolver<ResolversTypes['JobKind'], ParentType, ContextType>;
  linesRead?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  operation?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  rowsFailed?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  rowsWritten?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  startedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['JobStatus'], ParentType, ContextType>;
}>;

export type JobRowErrorResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['JobRowError'] = ResolversParentTypes['JobRowError']> = ResolversObject<{
  line?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  message?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type MemberResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['Member'] = ResolversParentTypes['Member']> = ResolversObject<{
  roles?: Resolver<Array<ResolversTypes['Role']>, ParentType, ContextType>;
  user?: Resolver<ResolversTypes['User'], ParentType, ContextType>;
}>;

export type MemberInvitationResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['MemberInvitation'] = ResolversParentTypes['MemberInvitation']> = ResolversObject<{
  email?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  roles?: Resolver<Array<ResolversTypes['Role']>, ParentType, ContextType>;
}>;

export type MembershipResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['Membership'] = ResolversParentTypes['Membership']> = ResolversObject<{
  roles?: Resolver<Array<ResolversTypes['Role']>, ParentType, ContextType>;
  tenant?: Resolver<ResolversTypes['Tenant'], ParentType, ContextType>;
}>;

export type MutationResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = ResolversObject<{
  cancelJob?: Resolver<ResolversTypes['Job'], ParentType, ContextType, RequireFields<MutationCancelJobArgs, 'id'>>;
  cancelReservation?: Resolver<ResolversTypes['Reservation'], ParentType, ContextType, RequireFields<MutationCancelReservationArgs, 'id'>>;
  createApiKey?: Resolver<ResolversTypes['CreatedApiKey'], ParentType, ContextType, RequireFields<MutationCreateApiKeyArgs, 'input'>>;
  createExportJob?: Resolver<ResolversTypes['Job'], ParentType, ContextType, RequireFields<MutationCreateExportJobArgs, 'input'>>;
  createExportLink?: Resolver<ResolversTypes['ExportLink'], ParentType, ContextType, RequireFields<MutationCreateExportLinkArgs, 'format' | 'operationName' | 'ttlSeconds'>>;
  createImportJob?: Resolver<ResolversTypes['CreatedImportJob'], ParentType, ContextType, RequireFields<MutationCreateImportJobArgs, 'input'>>;
  createPark?: Resolver<ResolversTypes['Park'], ParentType, ContextType, RequireFields<MutationCreateParkArgs, 'input'>>;
  createReservation?: Resolver<ResolversTypes['Reservation'], ParentType, ContextType, RequireFields<MutationCreateReservationArgs, 'input'>>;
  deletePark?: Resolver<ResolversTypes['ID'], ParentType, ContextType, RequireFields<MutationDeleteParkArgs, 'id'>>;
  inviteMember?: Resolver<ResolversTypes['MemberInvitation'], ParentType, ContextType, RequireFields<MutationInviteMemberArgs, 'email' | 'roles'>>;
  registerTrustedOperation?: Resolver<ResolversTypes['TrustedOperation'], ParentType, ContextType, RequireFields<MutationRegisterTrustedOperationArgs, 'document' | 'name'>>;
  removeTrustedOperation?: Resolver<ResolversTypes['TrustedOperation'], ParentType, ContextType, RequireFields<MutationRemoveTrustedOperationArgs, 'name'>>;
  revokeApiKey?: Resolver<ResolversTypes['ApiKey'], ParentType, ContextType, RequireFields<MutationRevokeApiKeyArgs, 'id'>>;
  rotateExportLinkSecret?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  setMemberRoles?: Resolver<ResolversTypes['Member'], ParentType, ContextType, RequireFields<MutationSetMemberRolesArgs, 'email' | 'roles'>>;
  switchTenant?: Resolver<ResolversTypes['Viewer'], ParentType, ContextType, RequireFields<MutationSwitchTenantArgs, 'slug'>>;
  updatePark?: Resolver<ResolversTypes['Park'], ParentType, ContextType, RequireFields<MutationUpdateParkArgs, 'id' | 'input'>>;
}>;

export type PageInfoResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = ResolversObject<{
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
}>;

export type ParkResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['Park'] = ResolversParentTypes['Park'], FederationReferenceType extends FederationReferenceTypes['Park'] = FederationReferenceTypes['Park']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Park']> | FederationReferenceType, FederationReferenceType, ContextType>;
  capacity?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  region?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  reservations?: Resolver<ResolversTypes['ReservationConnection'], ParentType, ContextType, Partial<ParkReservationsArgs>>;
}>;

export type ParkConnectionResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['ParkConnection'] = ResolversParentTypes['ParkConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['ParkEdge']>, ParentType, ContextType>;
  nodes?: Resolver<Array<ResolversTypes['Park']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
}>;

export type ParkEdgeResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['ParkEdge'] = ResolversParentTypes['ParkEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Park'], ParentType, ContextType>;
}>;

export type QueryResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = ResolversObject<{
  apiKeys?: Resolver<Array<ResolversTypes['ApiKey']>, ParentType, ContextType>;
  job?: Resolver<Maybe<ResolversTypes['Job']>, ParentType, ContextType, RequireFields<QueryJobArgs, 'id'>>;
  members?: Resolver<Array<ResolversTypes['Member']>, ParentType, ContextType>;
  park?: Resolver<Maybe<ResolversTypes['Park']>, ParentType, ContextType, RequireFields<QueryParkArgs, 'id'>>;
  parks?: Resolver<ResolversTypes['ParkConnection'], ParentType, ContextType, Partial<QueryParksArgs>>;
  rateLimit?: Resolver<Maybe<ResolversTypes['RateLimit']>, ParentType, ContextType>;
  reservation?: Resolver<Maybe<ResolversTypes['Reservation']>, ParentType, ContextType, RequireFields<QueryReservationArgs, 'id'>>;
  reservationStats?: Resolver<Array<ResolversTypes['ReservationStat']>, ParentType, ContextType, RequireFields<QueryReservationStatsArgs, 'groupBy'>>;
  reservations?: Resolver<ResolversTypes['ReservationConnection'], ParentType, ContextType, Partial<QueryReservationsArgs>>;
  trustedOperations?: Resolver<Array<ResolversTypes['TrustedOperation']>, ParentType, ContextType>;
  usage?: Resolver<Array<ResolversTypes['UsageHour']>, ParentType, ContextType, RequireFields<QueryUsageArgs, 'from' | 'to'>>;
  viewer?: Resolver<ResolversTypes['Viewer'], ParentType, ContextType>;
}>;

export type RateLimitResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['RateLimit'] = ResolversParentTypes['RateLimit']> = ResolversObject<{
  maxCostPerOperation?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  maximum?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  plan?: Resolver<ResolversTypes['Plan'], ParentType, ContextType>;
  remaining?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  resetSeconds?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  restoreRate?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type ReservationResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['Reservation'] = ResolversParentTypes['Reservation'], FederationReferenceType extends FederationReferenceTypes['Reservation'] = FederationReferenceTypes['Reservation']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Reservation']> | FederationReferenceType, FederationReferenceType, ContextType>;
  date?: Resolver<ResolversTypes['Date'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  park?: Resolver<ResolversTypes['Park'], ParentType, ContextType>;
  partySize?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ReservationStatus'], ParentType, ContextType>;
  visitorEmail?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  visitorName?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type ReservationConnectionResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['ReservationConnection'] = ResolversParentTypes['ReservationConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['ReservationEdge']>, ParentType, ContextType>;
  nodes?: Resolver<Array<ResolversTypes['Reservation']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
}>;

export type ReservationEdgeResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['ReservationEdge'] = ResolversParentTypes['ReservationEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Reservation'], ParentType, ContextType>;
}>;

export type ReservationStatResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['ReservationStat'] = ResolversParentTypes['ReservationStat']> = ResolversObject<{
  key?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  reservations?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  visitors?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type SubscriptionResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['Subscription'] = ResolversParentTypes['Subscription']> = ResolversObject<{
  exportEvents?: SubscriptionResolver<ResolversTypes['ExportEvent'], "exportEvents", ParentType, ContextType, Partial<SubscriptionExportEventsArgs>>;
  jobProgress?: SubscriptionResolver<ResolversTypes['Job'], "jobProgress", ParentType, ContextType, RequireFields<SubscriptionJobProgressArgs, 'id'>>;
}>;

export type TenantResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['Tenant'] = ResolversParentTypes['Tenant'], FederationReferenceType extends FederationReferenceTypes['Tenant'] = FederationReferenceTypes['Tenant']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Tenant']> | FederationReferenceType, FederationReferenceType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  slug?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type TrustedOperationResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['TrustedOperation'] = ResolversParentTypes['TrustedOperation']> = ResolversObject<{
  body?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  createdAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  source?: Resolver<ResolversTypes['TrustedOperationSource'], ParentType, ContextType>;
}>;

export type UsageHourResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['UsageHour'] = ResolversParentTypes['UsageHour']> = ResolversObject<{
  bytesSent?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  costAdmitted?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  eventsDelivered?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  hour?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  requests?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  requestsThrottled?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  rowsExported?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type UserResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['User'] = ResolversParentTypes['User']> = ResolversObject<{
  email?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
}>;

export type ViewerResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['Viewer'] = ResolversParentTypes['Viewer']> = ResolversObject<{
  memberships?: Resolver<Array<ResolversTypes['Membership']>, ParentType, ContextType>;
  roles?: Resolver<Array<ResolversTypes['Role']>, ParentType, ContextType>;
  tenant?: Resolver<Maybe<ResolversTypes['Tenant']>, ParentType, ContextType>;
  user?: Resolver<ResolversTypes['User'], ParentType, ContextType>;
}>;

export type Resolvers<ContextType = RequestContext> = ResolversObject<{
  ApiKey?: ApiKeyResolvers<ContextType>;
  ApiKeyLimits?: ApiKeyLimitsResolvers<ContextType>;
  CreatedApiKey?: CreatedApiKeyResolvers<ContextType>;
  CreatedImportJob?: CreatedImportJobResolvers<ContextType>;
  Date?: GraphQLScalarType;
  DateTime?: GraphQLScalarType;
  ExportEvent?: ExportEventResolvers<ContextType>;
  ExportLink?: ExportLinkResolvers<ContextType>;
  JSON?: GraphQLScalarType;
  Job?: JobResolvers<ContextType>;
  JobRowError?: JobRowErrorResolvers<ContextType>;
  Member?: MemberResolvers<ContextType>;
  MemberInvitation?: MemberInvitationResolvers<ContextType>;
  Membership?: MembershipResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  Park?: ParkResolvers<ContextType>;
  ParkConnection?: ParkConnectionResolvers<ContextType>;
  ParkEdge?: ParkEdgeResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  RateLimit?: RateLimitResolvers<ContextType>;
  Reservation?: ReservationResolvers<ContextType>;
  ReservationConnection?: ReservationConnectionResolvers<ContextType>;
  ReservationEdge?: ReservationEdgeResolvers<ContextType>;
  ReservationStat?: ReservationStatResolvers<ContextType>;
  Subscription?: SubscriptionResolvers<ContextType>;
  Tenant?: TenantResolvers<ContextType>;
  TrustedOperation?: TrustedOperationResolvers<ContextType>;
  UsageHour?: UsageHourResolvers<ContextType>;
  User?: UserResolvers<ContextType>;
  Viewer?: ViewerResolvers<ContextType>;
}>;

export type DirectiveResolvers<ContextType = RequestContext> = ResolversObject<{
  link?: LinkDirectiveResolver<any, any, ContextType>;
  shareable?: ShareableDirectiveResolver<any, any, ContextType>;
  tag?: TagDirectiveResolver<any, any, ContextType>;
}>;
