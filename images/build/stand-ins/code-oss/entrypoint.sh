#!/bin/sh
# Stand-in of the Cloud Workstations base entrypoint: runs every startup hook in order as root, then the
# command (the real base starts the IDE and sshd from its hooks and then waits).
set -eu
for hook in /etc/workstation-startup.d/*; do
  [ -x "$hook" ] && "$hook"
done
if [ "$#" -gt 0 ]; then exec "$@"; fi
exec sleep infinity
