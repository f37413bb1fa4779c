import type { HeaderLookup } from '../auth/credentials.js';
import { readCredential } from '../auth/credentials.js';
import { forbidden, unauthenticated } from '../errors.js';
import type { Services } from '../services.js';
import type { OperatorConsole } from './operator-console.js';
import { isOperator } from './platform-roles.js';

/** What an operator API resolver receives: who acts (for the audit log) and the operations. */
export interface AdminContext {
  /** The operator's address, as the audit log names it. */
  actor: string;
  console: OperatorConsole;
}

/**
 * The operator behind a request to `/admin/graphql`: a user's own token (an API key is refused, and
 * the gateway secret is not a credential), whose user holds the platform OPERATOR role in the
 * database now (the identity change stream makes a revocation apply at once on every instance).
 */
export async function operatorContext(
  services: Services,
  operations: OperatorConsole,
  header: HeaderLookup,
): Promise<AdminContext> {
  const credential = readCredential(header);
  if (!credential) throw unauthenticated();
  if (credential.kind !== 'jwt') throw forbidden('The operator API takes an operator’s own token, not an API key');
  const { principal } = await services.authenticator.authenticate(credential, { enroll: false });
  if (principal.kind !== 'user') throw forbidden('Operators only');
  const users = await services.identity.usersBySubject(principal.subject);
  const user = users?.find((candidate) => candidate._id === principal.userId);
  if (!user || !isOperator(user)) throw forbidden('Operators only');
  return { actor: user.email, console: operations };
}
