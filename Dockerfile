# One image for every service; docker-compose picks the service with the command, e.g.
#   docker run <image> dist/apps/directory/src/main.js
# The image runs the compiled JavaScript from `npm run build` with production dependencies only,
# as the unprivileged `node` user, on the current Node LTS (26; the tests run on Node 20.19 and later).
ARG NODE_IMAGE=node:26-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json nx.json ./
COPY scripts ./scripts
COPY libs ./libs
COPY apps ./apps
RUN npx nx run-many -t build --skip-nx-cache

FROM ${NODE_IMAGE} AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
ENTRYPOINT ["node"]
CMD ["dist/apps/idp/src/main.js"]
