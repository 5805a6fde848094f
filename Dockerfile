# A blockchain node: `docker build -t blockchain .` (labels: `--build-arg SOURCE=<repository URL>`) then
# `docker run -p 12345:12345 -v chain:/data blockchain` (or `docker compose up` for a three-miner ring).

# Build: every dependency (TypeScript, esbuild, Preact for the explorer bundle), then the build,
# and the native mining core (node-gyp needs python3, make and a C compiler, which the slim
# image lacks; they stay in this stage).
FROM node:20-slim AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts run after the sources are in (the `prepare` script builds them).
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.ui.json binding.gyp ./
COPY native ./native
COPY bin ./bin
COPY scripts ./scripts
COPY src ./src
# build:native fails the image build when the core does not compile: an image
# never mines with the TypeScript fallback by accident. The core picks SHA-NI
# or its portable path at run time, so the image runs on any x86-64 or arm64 host.
RUN npm run build && npm run build:native

# Runtime dependencies only: the build-only packages (devDependencies) never reach the image.
FROM node:20-slim AS runtime-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts

FROM node:20-slim
# OCI labels: the version is package.json's (a test keeps the default in step); the source
# and the licence are given by whoever builds the image (the project has not named a licence
# yet: NOASSERTION is SPDX's word for "not stated").
ARG VERSION=0.1.0
ARG SOURCE=
ARG LICENSES=NOASSERTION
LABEL org.opencontainers.image.title="blockchain-node" \
  org.opencontainers.image.description="A proof-of-work blockchain node that keeps a replicated ledger of text messages" \
  org.opencontainers.image.version="${VERSION}" \
  org.opencontainers.image.source="${SOURCE}" \
  org.opencontainers.image.licenses="${LICENSES}"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=runtime-deps /app/package.json ./
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/build/Release/blockchain_native.node ./build/Release/
RUN mkdir /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 12345
# Healthy while the node answers /status on its port (node's own fetch: the slim image has no curl).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.BLOCKCHAIN_PORT || 12345) + '/status', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/blockchain"]
CMD ["miner", "start", "/data/chain.json", "--host", "0.0.0.0"]
