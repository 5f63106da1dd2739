#!/bin/sh
# Stand-in of the base's user hook: makes sure the default user exists with passwordless sudo and the
# docker group, at every boot (so removing them at build time alone would not be enough).
set -eu
id user >/dev/null 2>&1 || useradd --create-home --shell /bin/bash user
getent group docker >/dev/null || groupadd docker
usermod -aG sudo,docker user
if [ "${CLOUD_WORKSTATIONS_CONFIG_DISABLE_SUDO:-false}" != "true" ]; then
  echo 'user ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/user
fi
