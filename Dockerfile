# Klaxon server image. The Temporal server runs as its own service in production (see
# docker-compose.yml), so the image needs no Temporal binary: TEMPORAL_ADDRESS points at it.
FROM node:20-bookworm-slim
WORKDIR /app
# HOST: Klaxon binds 127.0.0.1 by default; in a container it must listen on every interface.
ENV NODE_ENV=production KLAXON_DATA_DIR=/home/node/data HOST=0.0.0.0
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY models ./models
COPY config ./config
COPY tsconfig.json ./
USER node
EXPOSE 8080
CMD ["node", "bin/klaxon.js", "start"]
