#!/bin/sh
# Replaces the Code OSS base's boot-time user hook (/etc/workstation-startup.d/010_add-user.sh), which
# creates the default user with passwordless sudo and the docker group at every boot. Ours only makes sure
# `developer` (uid 1000) exists: no sudo (not even installed), no docker group (issue 14, seeds C.6).
set -eu
if ! id developer >/dev/null 2>&1; then
  getent group developer >/dev/null || groupadd --gid 1000 developer
  useradd --uid 1000 --gid 1000 --create-home --shell /bin/bash developer
fi
