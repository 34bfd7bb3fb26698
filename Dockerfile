# The controller image. Against external PostgreSQL (DATABASE_URL) it needs nothing else; without it, it
# runs the embedded PostgreSQL in DATA_DIR as the unprivileged `node` user.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps apps
COPY libs libs
COPY bench bench
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
ENV NODE_ENV=production DATA_DIR=/var/lib/nmos-control PORT=8080
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
RUN mkdir -p /var/lib/nmos-control && chown node:node /var/lib/nmos-control
USER node
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --retries=2 CMD node -e "fetch('http://127.0.0.1:8080/api/health/detail').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The young generation V8 keeps is fixed at start: small, so short-lived pages die without inflating RSS (see main.ts).
CMD ["node", "--max-semi-space-size=4", "dist/apps/controller/src/main.js"]
