#!/bin/bash
# k3s-install.sh VERSION server|agent [JOIN_URL JOIN_DEADLINE_SEC]
#
# Installs k3s VERSION with the installer from the same release tag (never
# the moving get.k3s.io script). The installer verifies the k3s binary
# against the release's sha256sum file. Everything else comes from
# /etc/rancher/k3s/config.yaml, written by cloud-init.
#
# With JOIN_URL (servers 2-3 and agents), first waits at most
# JOIN_DEADLINE_SEC seconds until the cluster answers there: a k3s that
# starts before it exits instead of retrying.
set -euo pipefail

version=$1
role=$2
join_url=${3:-}
join_deadline_sec=${4:-1200}
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

if [ -n "$join_url" ]; then
  end=$(( $(date +%s) + join_deadline_sec ))
  # /cacerts answers without credentials once a server runs; -k because the
  # CA is what is being fetched (k3s itself checks it against the token).
  until curl -fsk --max-time 5 -o /dev/null "$join_url/cacerts"; do
    if [ "$(date +%s)" -ge "$end" ]; then
      echo "k3s-install: the cluster did not answer at $join_url within ${join_deadline_sec}s" >&2
      exit 1
    fi
    sleep 5
  done
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The tag holds a '+', which must be %2B in the URL path.
url="https://raw.githubusercontent.com/k3s-io/k3s/${version//+/%2B}/install.sh"
curl -fsSL --proto '=https' --retry 5 --retry-delay 5 --retry-connrefused --connect-timeout 10 --max-time 120 -o "$work/install.sh" "$url"

INSTALL_K3S_VERSION=$version INSTALL_K3S_EXEC=$role INSTALL_K3S_SKIP_SELINUX_RPM=true sh "$work/install.sh"
