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

exec "$node_bin" "$agent_bundle" run -- "$@"
