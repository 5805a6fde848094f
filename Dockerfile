# A blockchain node: `docker build -t blockchain .` then
# `docker run -p 12345:12345 -v chain:/data blockchain` (or `docker compose up` for a three-miner ring).

# Build: every dependency (TypeScript, esbuild, Preact for the explorer bundle), then the build.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts run after the sources are in (the `prepare` script builds them).
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.ui.json ./
COPY bin ./bin
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# Runtime dependencies only: the build-only packages (devDependencies) never reach the image.
FROM node:20-slim AS runtime-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=runtime-deps /app/package.json ./
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
RUN mkdir /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 12345
# Healthy while the node answers /status on its port (node's own fetch: the slim image has no curl).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.BLOCKCHAIN_PORT || 12345) + '/status', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/blockchain"]
CMD ["miner", "start", "/data/chain.json", "--host", "0.0.0.0"]
