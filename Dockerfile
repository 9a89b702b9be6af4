# opsflow API, worker and migration runner: one image, the command picks the process (see docker-compose.yml).
# Node 24 runs the TypeScript sources directly (type stripping); only the web console is built, in its own stage.

# The console: the OpenAPI document from the code, its types, then Vite's build into console/dist.
FROM node:24-slim AS console
WORKDIR /app
COPY package.json package-lock.json ./
COPY console/codegen/package.json console/codegen/
# Without scripts: `prepare` (the console build) needs the sources, copied next.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build:console

FROM node:24-slim
# One malloc arena per thread let freed memory pile up in the worker (worker/allocator.ts); glibc reads the cap at start.
ENV NODE_ENV=production MALLOC_ARENA_MAX=2
WORKDIR /app

# Dependencies first, so a source change does not reinstall them. No scripts: `prepare` builds the console, which
# the stage above did (its tools are dev dependencies, not installed here).
COPY package.json package-lock.json ./
COPY console/codegen/package.json console/codegen/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# Sources stay owned by root: the processes can read them but not rewrite them.
COPY . .
COPY --from=console /app/console/dist console/dist
RUN mkdir -p .data && chown node:node .data

USER node
EXPOSE 3000
CMD ["node", "api/server.ts"]
