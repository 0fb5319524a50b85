# syntax=docker/dockerfile:1
# One image for both processes: `api` (HTTP) and `worker` (Temporal worker); docker-compose.yml picks the command.
# Runs the TypeScript sources with tsx (a runtime dependency), as `npm run api` / `npm run worker` do: loaded into
# node itself (`--import tsx`), never under the `tsx` launcher, which SIGKILLs its child when the child does not
# acknowledge a relayed SIGTERM within 30 ms (a busy API or worker then never drains on `docker stop`).

FROM node:20-bookworm AS deps
WORKDIR /app
# Full image: has python3/make/g++ in case re2 must compile instead of using its prebuilt binary.
# mongodb-memory-server is for dev/tests only: never download a mongod into the image.
ENV MONGOMS_DISABLE_POSTINSTALL=1 \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
USER node
EXPOSE 3000
# api by default; the worker service overrides the command.
CMD ["node", "--import", "tsx", "src/server.ts"]
