# Dispute Gateway: a multi-stage build. The image is not built in CI (no container engine runs
# there); test/e2e/image.test.ts runs these same steps — each stage's COPY and RUN in a clean
# directory, then the CMD and the HEALTHCHECK — on every CI run.

# 1. Compile the TypeScript (needs the dev dependencies).
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund --prefer-offline
COPY tsconfig.json tsconfig.build.json ./
COPY schema ./schema
COPY src ./src
RUN npx tsc -p tsconfig.build.json

# 2. Production dependencies only.
FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline

# 3. The runtime: compiled code, the schema, production dependencies; not root.
FROM node:22-bookworm-slim
ENV NODE_ENV=production
ENV HOST=0.0.0.0
ENV PORT=4000
# HOST=0.0.0.0 serves every interface, so the gateway refuses to start until it knows the names
# clients use: set ALLOWED_HOSTS (or PUBLIC_URL) when running the image (see deploy/).
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY schema ./schema
COPY package.json ./
# The dispute index's embedded store (used without DATABASE_URL) lives in DATA_DIR: a directory of
# its own that the image's user can write (/app is root's), made and handed to `node` here, then
# declared a volume so the index outlives the container (a new named volume takes this directory's
# owner; give a Kubernetes volume fsGroup 1000). That store serves one process: mount it in one
# replica only, or set DATABASE_URL (PostgreSQL) to share one index between several (see deploy/).
# The sandbox (no credentials) indexes its fakes in a temporary folder and leaves DATA_DIR alone.
ENV DATA_DIR=/data
RUN mkdir -p /data && chown node:node /data
# Declared after it is made: the legacy builder drops a later build step's changes to a volume.
VOLUME /data
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself is the container's main process: it receives SIGTERM, drains (SHUTDOWN_* settings) and exits 0.
CMD ["node", "dist/main.js"]
