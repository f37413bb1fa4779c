/**
 * The development GraphQL IDE: GraphiQL with a sign-in control for the demo users (tokens from the
 * dev-only token endpoint) and a tenant switch (the X-Tenant-ID header).
 */
import './monaco-workers.js';
import 'graphiql/style.css';
import './ide.css';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { createClient } from 'graphql-ws';
import { useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';

const settings = JSON.parse(document.getElementById('ide-settings').textContent);
// The page is served at the GraphQL endpoint itself.
const endpoint = new URL(window.location.pathname, window.location.origin);
const socketEndpoint = new URL(endpoint);
socketEndpoint.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';

const DEFAULT_QUERY = `query Parks {
  viewer {
    user { email }
    tenant { slug name }
    roles
  }
  parks(first: 10) {
    edges { node { id name region capacity } }
  }
}
`;

const SESSION_KEY = 'tenantgraph-ide-session';

function loadSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
    return session && Date.parse(session.expiresAt) > Date.now() ? session : null;
  } catch {
    return null;
  }
}

async function requestToken(email) {
  const response = await fetch(new URL(settings.tokenUrl, endpoint), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? `sign-in failed (${response.status})`);
  return body;
}

async function fetchMemberships(token) {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ viewer { tenant { slug } memberships { tenant { slug name } } } }' }),
  });
  const { data } = await response.json();
  return data?.viewer?.memberships.map((membership) => membership.tenant) ?? [];
}

function credentialHeaders(session, tenant) {
  const headers = {};
  if (session) headers.authorization = `Bearer ${session.token}`;
  if (tenant) headers['x-tenant-id'] = tenant;
  return headers;
}

function SignIn({ session, onSession, tenant, onTenant }) {
  const [email, setEmail] = useState(session?.email ?? settings.demoUsers[0]);
  const [tenants, setTenants] = useState([]);
  const [error, setError] = useState(null);

  useEffect(() => {
    setTenants([]);
    if (session) fetchMemberships(session.token).then(setTenants, () => setTenants([]));
  }, [session]);

  const signIn = async (event) => {
    event.preventDefault();
    setError(null);
    try {
      const { token, expiresAt } = await requestToken(email);
      onTenant('');
      onSession({ email, token, expiresAt });
    } catch (failure) {
      setError(failure.message);
    }
  };

  return (
    <form className="ide-bar" onSubmit={signIn}>
      <strong>tenantgraph</strong>
      <label>
        Demo user{' '}
        <select aria-label="Demo user" value={email} onChange={(event) => setEmail(event.target.value)}>
          {settings.demoUsers.map((user) => (
            <option key={user}>{user}</option>
          ))}
        </select>
      </label>
      <button type="submit">Sign in</button>
      {session ? (
        <>
          <button type="button" onClick={() => onSession(null)}>
            Sign out
          </button>
          <span role="status">Signed in as {session.email}</span>
          <label>
            Tenant{' '}
            <select aria-label="Tenant" value={tenant} onChange={(event) => onTenant(event.target.value)}>
              <option value="">stored active tenant</option>
              {tenants.map(({ slug, name }) => (
                <option key={slug} value={slug}>
                  {slug} ({name})
                </option>
              ))}
            </select>
          </label>
        </>
      ) : (
        <span role="status">Not signed in</span>
      )}
      {error ? (
        <span role="alert" className="ide-error">
          {error}
        </span>
      ) : null}
    </form>
  );
}

function Ide() {
  const [session, setSession] = useState(loadSession);
  const [tenant, setTenant] = useState(() => loadSession()?.tenant ?? '');

  useEffect(() => {
    if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify({ ...session, tenant }));
    else sessionStorage.removeItem(SESSION_KEY);
  }, [session, tenant]);

  const headers = useMemo(() => credentialHeaders(session, tenant), [session, tenant]);
  const wsClient = useMemo(
    () => createClient({ url: socketEndpoint.href, connectionParams: headers, lazy: true }),
    [headers],
  );
  useEffect(() => () => wsClient.dispose(), [wsClient]);
  const fetcher = useMemo(
    () => createGraphiQLFetcher({ url: endpoint.href, headers, enableIncrementalDelivery: false, wsClient }),
    [headers, wsClient],
  );

  return (
    <div className="ide">
      {settings.tokenUrl ? (
        <SignIn session={session} onSession={setSession} tenant={tenant} onTenant={setTenant} />
      ) : (
        <div className="ide-bar">
          <strong>tenantgraph</strong>
          <span>An identity provider is configured: put its token in the Headers tab.</span>
        </div>
      )}
      <div className="ide-graphiql">
        <GraphiQL
          fetcher={fetcher}
          defaultQuery={DEFAULT_QUERY}
          initialQuery={new URLSearchParams(window.location.search).get('query') ?? undefined}
        />
      </div>
    </div>
  );
}

createRoot(document.getElementById('ide')).render(<Ide />);
