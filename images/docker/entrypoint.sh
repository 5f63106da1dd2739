#!/bin/sh
# Entrypoint of the licensed Docker image: the session agent validates the license, then runs the payload
# ("$@", the image CMD) as its child, heartbeats, and releases the seat when the payload ends or the
# container is stopped. The agent's exit codes are listed in images/README.md.
set -eu

# The agent defaults the container id to the hostname, which Docker sets to the short container id.
: "${CODITECT_NODE:=node}"
: "${CODITECT_AGENT_BUNDLE:=/opt/coditect/agent/coditect-agent.mjs}"

if [ "$#" -eq 0 ]; then
  echo "coditect-entrypoint: no command given (set the image CMD or pass one to docker run)" >&2
  exit 2
fi

exec "$CODITECT_NODE" "$CODITECT_AGENT_BUNDLE" run -- "$@"
