# Stand-in for gcr.io/distroless/nodejs24-debian12:nonroot where no registry can be reached: Node 24 at
# /nodejs/bin/node as the entrypoint, user `nonroot` uid/gid 65532, WORKDIR /home/nonroot. Unlike the real
# image it sits on a Debian minbase (a shell and dpkg remain); what the billing and operator Dockerfiles
# rely on — the node path, the entrypoint and the uid — is the same. Context: images/build/bases.ts.
ARG DEBIAN_BASE
FROM ${DEBIAN_BASE}
COPY node /nodejs/bin/node
RUN groupadd --gid 65532 nonroot \
 && useradd --uid 65532 --gid 65532 --home-dir /home/nonroot --create-home --shell /sbin/nologin nonroot
USER 65532:65532
WORKDIR /home/nonroot
ENTRYPOINT ["/nodejs/bin/node"]
