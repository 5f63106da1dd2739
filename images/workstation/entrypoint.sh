#!/bin/sh
# Entrypoint of the licensed workstation image. A workstation has no license key in its environment: it
# proves who it is with a Google-signed identity token from the metadata server (audience = the license
# server), which the license server maps through its Workstation resource to the license. The agent then
# runs the Cloud Workstations entrypoint as its payload and stops it when the license ends.
set -eu

# The agent is fixed in a built image: no variable can replace it (issue 13 §3, ADR 0147). Only outside
# an image — no installed bundle, as in a development checkout and the e2e tests — do CODITECT_NODE and
# CODITECT_AGENT_BUNDLE say where node and the agent are.
node_bin=/opt/coditect/bin/node
agent_bundle=/opt/coditect/agent/coditect-agent.mjs
if [ ! -e "$agent_bundle" ]; then
  node_bin="${CODITECT_NODE:-$node_bin}"
  agent_bundle="${CODITECT_AGENT_BUNDLE:-$agent_bundle}"
fi
unset CODITECT_NODE CODITECT_AGENT_BUNDLE
# A built image's agent accepts only the license server baked into it (ADR 0155): the identity token's
# audience is that server, read from the file the image build wrote next to the agent.
if [ -r /opt/coditect/agent/license-server ]; then
  CODITECT_LICENSE_SERVER="$(cat /opt/coditect/agent/license-server)"
fi
: "${CODITECT_LICENSE_SERVER:=https://api.coditect.ai}"
: "${CODITECT_METADATA_URL:=http://metadata.google.internal/computeMetadata/v1}"
: "${CODITECT_CONTAINER_TYPE:=workstation}"
: "${CODITECT_BASE_ENTRYPOINT:=/google/scripts/entrypoint.sh}"
export CODITECT_LICENSE_SERVER CODITECT_CONTAINER_TYPE

if [ -z "${CODITECT_LICENSE_KEY:-}" ] && [ -z "${CODITECT_IDENTITY_TOKEN_FILE:-}" ]; then
  token_dir="${CODITECT_STATE_DIR:-/var/lib/coditect-agent}"
  mkdir -p "$token_dir"
  CODITECT_IDENTITY_TOKEN_FILE="$token_dir/identity-token"
  # format=full adds the instance claims; the token is only sent to the license server, never logged.
  if ! curl --silent --show-error --fail --max-time 10 -H "Metadata-Flavor: Google" \
    "$CODITECT_METADATA_URL/instance/service-accounts/default/identity?audience=$CODITECT_LICENSE_SERVER&format=full" \
    -o "$CODITECT_IDENTITY_TOKEN_FILE"; then
    echo "coditect-entrypoint: cannot get an identity token from the metadata server ($CODITECT_METADATA_URL)" >&2
    exit 5
  fi
  chmod 600 "$CODITECT_IDENTITY_TOKEN_FILE"
  export CODITECT_IDENTITY_TOKEN_FILE
fi

# The identity token says "a workstation of ours", not which one: every workstation runs as the same
# service account. CODITECT_WORKSTATION_CREDENTIAL — this workstation's own secret, which the operator puts
# in the Workstation's per-workstation env — proves which (ADR 0150). The agent sends it with the token and
# keeps it from the payload; it is never logged or written to disk.
if [ -z "${CODITECT_LICENSE_KEY:-}" ] && [ -z "${CODITECT_WORKSTATION_CREDENTIAL:-}" ]; then
  echo "coditect-entrypoint: CODITECT_WORKSTATION_CREDENTIAL is not set: this workstation was not created (or not yet given its credential) by the Coditect operator; stop and start it again once the operator has reconciled it" >&2
  exit 2
fi

# The container id must be the workstation id (the last segment of the Workstation's status.externalRef):
# the license server maps it to the Workstation resource and its License. The agent defaults it to the
# hostname; set CODITECT_CONTAINER_ID in the workstation config's env when the two differ.

set -- "$CODITECT_BASE_ENTRYPOINT" "$@"
# Variables that would change the agent's code or whom it trusts (issue 13 §3, ADR 0183): NODE_OPTIONS
# (--import=data:… runs any code in the agent, no file needed), NODE_EXTRA_CA_CERTS and OpenSSL's
# SSL_CERT_FILE / SSL_CERT_DIR (a proxy in front of the baked license server). The agent runs without them
# and trusts the image's CA store (--use-system-ca: /etc/ssl/certs, plus Node's bundled roots); the
# payload gets them back, through env(1), which execs the payload in its place.
for var in NODE_OPTIONS NODE_EXTRA_CA_CERTS SSL_CERT_FILE SSL_CERT_DIR; do
  if eval "[ -n \"\${$var+set}\" ]"; then
    eval "set -- env \"$var=\${$var}\" \"\$@\""
    unset "$var"
  fi
done

exec "$node_bin" --use-system-ca "$agent_bundle" run -- "$@"
