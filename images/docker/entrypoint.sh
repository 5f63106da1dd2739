#!/bin/sh
# Entrypoint of the licensed Docker image: the session agent validates the license, then runs the payload
# ("$@", the image CMD) as its child, heartbeats, and releases the seat when the payload ends or the
# container is stopped. The agent's exit codes are listed in images/README.md.
set -eu

# The agent defaults the container id to the hostname, which Docker sets to the short container id.
# The agent is fixed in a built image: no variable can replace it (issue 13 §3, ADR 0147). Only outside
# an image — no installed bundle, as in a development checkout and the e2e tests — do CODITECT_NODE and
# CODITECT_AGENT_BUNDLE say where node and the agent are.
node_bin=/usr/local/bin/node
agent_bundle=/opt/coditect/agent/coditect-agent.mjs
if [ ! -e "$agent_bundle" ]; then
  node_bin="${CODITECT_NODE:-$node_bin}"
  agent_bundle="${CODITECT_AGENT_BUNDLE:-$agent_bundle}"
fi
unset CODITECT_NODE CODITECT_AGENT_BUNDLE

if [ "$#" -eq 0 ]; then
  echo "coditect-entrypoint: no command given (set the image CMD or pass one to docker run)" >&2
  exit 2
fi

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
