# Railyard runs its TypeScript sources directly (Node 22 type stripping): no build step, and only
# the runtime dependencies are installed.
FROM node:22-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY src ./src
COPY bin ./bin
COPY crds ./crds
COPY templates ./templates
USER node
EXPOSE 8080
ENTRYPOINT ["node", "bin/railyard.ts"]
CMD ["serve", "--kubernetes", "--data", "/tmp/railyard"]
