# Stand-in for node:24-bookworm-slim (and node:24-slim, the same image) where no registry can be reached:
# a Debian bookworm minbase built by mmdebstrap (DEBIAN_BASE), the Node 24 binary from the repository's
# `node` npm package and the host's npm, laid out as the official image lays them out (/usr/local/bin/node,
# /usr/local/lib/node_modules/npm, user `node` uid 1000). The context is prepared by images/build/bases.ts.
ARG DEBIAN_BASE
FROM ${DEBIAN_BASE}
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
CMD ["node"]
