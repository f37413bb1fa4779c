#!/usr/bin/env bash
# Starts the compiled server the way the container image does (node dist/main.js, NODE_ENV=production,
# listening on every interface, production dependencies only) and runs the image's HEALTHCHECK command
# against it until it passes; then the database must be ready, a demo user's GraphQL query must be
# answered, and SIGTERM must stop the server with exit code 0. .ci/run calls it after `npm run build` and
# `npm prune --omit=dev`, the Dockerfile's own steps, since no Docker engine runs in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d)
export NODE_ENV=production HOST=0.0.0.0 PORT="${SMOKE_PORT:-4987}" DATA_DIR="$data"
node dist/main.js &
server=$!
trap 'kill -TERM "$server" 2>/dev/null || true; wait "$server" || true; rm -rf "$data"' EXIT
fail() {
  echo "production smoke: $1" >&2
  exit 1
}

healthy=false
for _ in $(seq 1 120); do
  if node -e "fetch(\`http://127.0.0.1:\${process.env.PORT}/healthz\`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then
    healthy=true
    break
  fi
  kill -0 "$server" 2>/dev/null || fail 'the server exited'
  sleep 0.5
done
$healthy || fail '/healthz never answered'
echo "production smoke: node dist/main.js answers /healthz"

# The compiled modules alone (no TypeScript loader, no dev dependency): the dev issuer of DATA_DIR signs
# alice's token, and the seeded demo data comes back through the whole request path.
node --input-type=module -e "
  const { loadOrCreateDevIssuer } = await import('./dist/auth/dev-issuer.js');
  const base = \`http://127.0.0.1:\${process.env.PORT}\`;
  const ready = await fetch(\`\${base}/readyz\`);
  if (ready.status !== 200) throw new Error(\`/readyz answered \${ready.status}\`);
  const issuer = await loadOrCreateDevIssuer(process.env.DATA_DIR);
  const token = await issuer.sign({ subject: 'alice@example.com', email: 'alice@example.com' }, 60);
  const response = await fetch(\`\${base}/graphql\`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: \`Bearer \${token}\` },
    body: JSON.stringify({ query: '{ viewer { tenant { slug } } parks(first: 1) { nodes { name } } }' }),
  });
  const body = await response.json();
  if (response.status !== 200 || body.data?.viewer?.tenant?.slug !== 'texas' || body.data.parks.nodes.length !== 1) {
    throw new Error(\`/graphql answered \${response.status} \${JSON.stringify(body)}\`);
  }
" || fail 'the demo query was not answered'
echo "production smoke: /readyz is ready and alice's query is answered"

trap 'rm -rf "$data"' EXIT
kill -TERM "$server"
status=0
wait "$server" || status=$?
[ "$status" -eq 0 ] || fail "SIGTERM: the server exited with $status"
echo "production smoke: SIGTERM stops it with exit code 0"
