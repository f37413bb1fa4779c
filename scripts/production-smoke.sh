#!/usr/bin/env bash
# Starts the compiled server the way the container image does (node dist/main.js, NODE_ENV=production,
# listening on every interface, production dependencies only) and runs the image's HEALTHCHECK command
# against it until it passes. .ci/run calls it after `npm run build` and `npm prune --omit=dev`, the
# Dockerfile's own steps, since no Docker engine runs in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d)
export NODE_ENV=production HOST=0.0.0.0 PORT="${SMOKE_PORT:-4987}" DATA_DIR="$data"
node dist/main.js &
server=$!
trap 'kill -TERM "$server" 2>/dev/null || true; wait "$server" || true; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do
  if node -e "fetch(\`http://127.0.0.1:\${process.env.PORT}/healthz\`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then
    echo "production smoke: node dist/main.js answers /healthz"
    exit 0
  fi
  kill -0 "$server" 2>/dev/null || { echo 'production smoke: the server exited' >&2; exit 1; }
  sleep 0.5
done
echo 'production smoke: /healthz never answered' >&2
exit 1
