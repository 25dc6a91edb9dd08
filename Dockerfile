# syntax=docker/dockerfile:1
# One small image for every subcommand:
#   docker run IMAGE receiver --port 8080 --rabbitmq-url amqp://...
#   docker run IMAGE operator --leader-elect ...
# Node 24 runs the TypeScript sources directly (type stripping), so there is no build step: the first
# stage installs the production dependencies exactly as the lockfile pins them, the second copies them
# and the sources onto a distroless Node 24 base (no shell, no package manager) as a non-root user.
ARG BUILD_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

FROM ${BUILD_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# --ignore-scripts: no runtime dependency needs an install script, and none gets to run one.
# Source maps and type declarations are dead weight at run time (about half of node_modules).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -exec rm -f {} + \
 && npm cache clean --force

FROM ${RUNTIME_IMAGE}
# The one release version (release/version.ts get), also the image tag; see docs/release.md.
ARG VERSION=dev
LABEL org.opencontainers.image.title="hookbridge" org.opencontainers.image.version="${VERSION}" org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY cli ./cli
COPY shared ./shared
COPY receiver ./receiver
COPY connector ./connector
COPY operator ./operator
COPY examples ./examples
# distroless "nonroot" (65532), numeric so Kubernetes can verify runAsNonRoot.
USER 65532:65532
EXPOSE 8080 8081
# Node flags: release/runtime-flags.ts says why (the bench runs the same ones).
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=8", "--heap-growing-percent=100", "cli/main.ts"]
CMD ["--help"]
