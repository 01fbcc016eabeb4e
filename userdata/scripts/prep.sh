#!/bin/bash
# Prepares the host for k3s: swap off for good, iptables in legacy mode
# (k3s's and Cilium's rules live there), sshd re-read so the hardening
# drop-in applies before anyone logs in.
set -euo pipefail

swapoff -a
# Comment out swap entries rather than deleting them, so the change is visible.
sed -i -E '/^[^#]\S*\s+\S+\s+swap\s/s/^/# disabled by catalyst: /' /etc/fstab

for tool in iptables ip6tables; do
  if [ -x "/usr/sbin/$tool-legacy" ]; then
    update-alternatives --set "$tool" "/usr/sbin/$tool-legacy"
  fi
done

if systemctl list-unit-files ssh.service >/dev/null 2>&1; then
  systemctl reload-or-restart ssh.service
else
  systemctl reload-or-restart sshd.service
fi
