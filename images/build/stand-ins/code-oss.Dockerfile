# Stand-in for the Cloud Workstations predefined Code OSS image, which cannot be pulled here. It has what
# the workstation image's hardening must deal with, as the real base has it: a default user `user`
# (uid 1000) with passwordless sudo and membership of the `docker` group, and the base entrypoint
# /google/scripts/entrypoint.sh that runs /etc/workstation-startup.d/* as root before the IDE — where
# 010_add-user.sh (re)grants sudo and docker at every boot. images/build/images.test.ts proves on the
# built workstation image that all of it is gone. No IDE: nothing of ours depends on it.
ARG DEBIAN_BASE
FROM ${DEBIAN_BASE}
COPY code-oss/entrypoint.sh /google/scripts/entrypoint.sh
COPY code-oss/010_add-user.sh /etc/workstation-startup.d/010_add-user.sh
RUN groupadd --gid 1000 user \
 && useradd --uid 1000 --gid 1000 --create-home --shell /bin/bash user \
 && groupadd docker \
 && usermod -aG sudo,docker user \
 && echo 'user ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/user \
 && chmod 0440 /etc/sudoers.d/user \
 && chmod 0755 /google/scripts/entrypoint.sh /etc/workstation-startup.d/010_add-user.sh
ENTRYPOINT ["/google/scripts/entrypoint.sh"]
