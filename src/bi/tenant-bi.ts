import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { PrincipalRef } from '../auth/principal.js';
import type { Role } from '../authz/roles.js';
import type { TenantDb } from '../data/tenant-db.js';
import { EXPORT_EXTENSIONS, type ExportLinkClaims } from './export-links.js';
import type { BiServices } from './index.js';
import type { TrustedOperation } from './trusted-operations.js';

/** The trusted operations of one tenant: the repository's, then its own. */
export interface TenantTrustedOperations {
  list(): Promise<TrustedOperation[]>;
  byName(name: string): Promise<TrustedOperation | null>;
  /**
   * Registers one of the tenant's own, created by the request's caller (see TrustedOperationRegistry.register);
   * `checkCost` refuses a document too costly for the tenant's plan.
   */
  register(
    schema: GraphQLSchema,
    name: string,
    document: string,
    checkCost: (document: DocumentNode) => void,
  ): Promise<TrustedOperation>;
  remove(name: string): Promise<TrustedOperation>;
}

/** What a link is signed with besides its tenant, its creator and its creator's roles (which the handle adds). */
export type LinkRequest = Omit<ExportLinkClaims, 'tenantId' | 'createdBy' | 'roles'>;

/** The export links of one tenant. */
export interface TenantExportLinks {
  /** The longest lifetime a link may be given (EXPORT_LINK_MAX_TTL_SECONDS). */
  readonly maxTtlSeconds: number;
  /** The URL of a new link, signed under the tenant's secret with the caller's roles. */
  create(request: LinkRequest): Promise<string>;
  /** A new link secret for the tenant: every link signed before stops working. */
  rotate(): Promise<void>;
}

/** BI of the request's tenant: a request context's `bi`, bound to the tenant and the caller. */
export interface TenantBi {
  operations: TenantTrustedOperations;
  links: TenantExportLinks;
}

export interface TenantBiScope {
  db: TenantDb;
  caller: PrincipalRef;
  roles: ReadonlySet<Role>;
  maxLinkTtlSeconds: number;
}

export function tenantBi(bi: BiServices, { db, caller, roles, maxLinkTtlSeconds }: TenantBiScope): TenantBi {
  const { trustedOperations, exportLinks } = bi;
  return {
    operations: {
      list: () => trustedOperations.list(db),
      byName: (name) => trustedOperations.byName(db, name),
      register: (schema, name, document, checkCost) =>
        trustedOperations.register(db, schema, name, document, caller, checkCost),
      remove: (name) => trustedOperations.remove(db, name),
    },
    links: {
      maxTtlSeconds: maxLinkTtlSeconds,
      async create(request) {
        const token = await exportLinks.sign(db, { ...request, roles: [...roles], createdBy: caller });
        return `${bi.publicUrl()}/bi/links/${token}.${EXPORT_EXTENSIONS[request.format]}`;
      },
      rotate: () => exportLinks.rotate(db),
    },
  };
}
