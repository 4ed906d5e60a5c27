# One image for every service; docker-compose picks the service with the command.
# Services run their TypeScript through @swc-node/register, exactly as `npm start` and the tests do.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.base.json tsconfig.json ./
COPY libs ./libs
COPY apps ./apps
USER node
ENTRYPOINT ["node", "-r", "@swc-node/register"]
CMD ["apps/idp/src/main.ts"]
