#!/bin/bash
# k3s-install.sh VERSION server|agent
#
# Installs k3s VERSION with the installer from the same release tag (never
# the moving get.k3s.io script). The installer verifies the k3s binary
# against the release's sha256sum file. Everything else comes from
# /etc/rancher/k3s/config.yaml, written by cloud-init.
set -euo pipefail

version=$1
role=$2
case "$role" in
  server | agent) ;;
  *)
    echo "k3s-install: role must be server or agent, got $role" >&2
    exit 2
    ;;
esac
if [ ! -s /etc/rancher/k3s/config.yaml ]; then
  echo "k3s-install: /etc/rancher/k3s/config.yaml is missing" >&2
  exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The tag holds a '+', which must be %2B in the URL path.
url="https://raw.githubusercontent.com/k3s-io/k3s/${version//+/%2B}/install.sh"
curl -fsSL --proto '=https' --retry 5 --retry-delay 5 --retry-connrefused --connect-timeout 10 --max-time 120 -o "$work/install.sh" "$url"

INSTALL_K3S_VERSION=$version INSTALL_K3S_EXEC=$role INSTALL_K3S_SKIP_SELINUX_RPM=true sh "$work/install.sh"
