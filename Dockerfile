# callflow: one service process. Data lives in /data (mount a volume there).
# Build stage: the TypeScript compiler and dev dependencies; the image runs compiled JavaScript.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 builds from source when no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts=false
COPY tsconfig.json tsconfig.build.json ./
COPY machines ./machines
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# Read at run time: the PostgreSQL migrations, the console and the shipped scenarios.
COPY src/store/migrations ./src/store/migrations
COPY public ./public
COPY scenarios ./scenarios
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATABASE_URL=sqlite:/data/callflow.db
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
EXPOSE 3000
USER node
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:3000/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Node flags as in `npm start` (package.json): a 32 MB young generation (see README, Benchmarks).
CMD ["node", "--max-semi-space-size=32", "dist/src/server.js"]
