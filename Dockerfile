# `npm run ingest` as a Cloud Run job. Built from the lockfile; runs as the unprivileged node user.
# The job's service account provides Google credentials; ad platform secrets are mounted from
# Secret Manager as environment variables (see docs/deployment.md).
FROM node:26-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production CI=true
COPY package.json package-lock.json ./
# Everything but @dataform/core is a devDependency (see docs/deployment.md), so include them.
RUN npm ci --include=dev --no-audit --no-fund && npm cache clean --force
COPY . .
# The code stays root's; what a run writes (local state such as export spill files, the compile
# cache) goes to folders the node user owns.
RUN mkdir -p data node_modules/.cache && chown node:node data node_modules/.cache
USER node
ENTRYPOINT ["npm", "run", "--silent", "ingest", "--", "--target", "gcp"]
