import type { Principal } from '../auth/principal.js';

/**
 * What a caller may send as GraphQL documents (CONTRACT.md section 7):
 * - `trustedOnly`: trusted operations by their hash, nothing else. An API key whose only role is
 *   ANALYST is such a caller (a BI key: a leaked one must not be a full read API), and so is a key
 *   limited to named operations.
 * - `operations`: the names of the trusted operations the caller may run; null for any.
 * An export link runs its one operation. Users are never restricted: their rights are their roles, and front-ends send their own documents.
 */
export interface Safelist {
  trustedOnly: boolean;
  operations: ReadonlySet<string> | null;
}

const UNRESTRICTED: Safelist = { trustedOnly: false, operations: null };

export function safelistOf(principal: Principal): Safelist {
  if (principal.kind === 'exportLink') return { trustedOnly: true, operations: new Set([principal.operation]) };
  if (principal.kind !== 'apiKey') return UNRESTRICTED;
  const operations = principal.operations === null ? null : new Set(principal.operations);
  const analystOnly = principal.roles.length > 0 && principal.roles.every((role) => role === 'ANALYST');
  return { trustedOnly: analystOnly || operations !== null, operations };
}
