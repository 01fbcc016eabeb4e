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

# Ubuntu 24.04 starts sshd per connection from ssh.socket, and each new
# sshd reads the configuration afresh; only a running daemon needs a reload.
for unit in ssh.service sshd.service; do
  if systemctl is-active --quiet "$unit"; then
    systemctl reload "$unit"
  fi
done
