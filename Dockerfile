# tenantgraph container image: a build stage that compiles TypeScript to dist/ with the same commands CI
# runs, then a slim runtime stage holding the compiled code and production dependencies only, run by
# node dist/main.js as the unprivileged `node` user.
#   docker build -t tenantgraph .
#   docker run -p 4000:4000 -e MONGODB_URI=… -e AUTH_JWKS_URL=… -e AUTH_ISSUER=… -e AUTH_AUDIENCE=… tenantgraph

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/embedded-mongo/package.json packages/embedded-mongo/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build
RUN npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    DATA_DIR=/home/node/data
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/packages/embedded-mongo/package.json packages/embedded-mongo/
COPY --from=build /app/packages/embedded-mongo/dist packages/embedded-mongo/dist
COPY --from=build /app/dist dist
COPY --from=build /app/schema schema
COPY --from=build /app/persisted-query-manifest.json ./
USER node
# Local state of dev-issuer mode and of the embedded database, for a trial without AUTH_* or MONGODB_URI.
RUN mkdir -p /home/node/data
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
