# opsflow API, worker and migration runner: one image, the command picks the process (see docker-compose.yml).
# Node 24 runs the TypeScript sources directly (type stripping), so there is no build stage.
FROM node:24-slim

ENV NODE_ENV=production
WORKDIR /app

# Dependencies first, so a source change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# Sources stay owned by root: the processes can read them but not rewrite them.
COPY . .
RUN mkdir -p .data && chown node:node .data

USER node
EXPOSE 3000
CMD ["node", "api/server.ts"]
