#!/bin/bash
# k3s-install.sh VERSION server|agent NODE_IP DEADLINE_SEC [JOIN_URL JOIN_DEADLINE_SEC]
#
# Installs k3s VERSION with the installer from the same release tag (never
# the moving get.k3s.io script). The installer verifies the k3s binary
# against the release's sha256sum file. Everything else comes from
# /etc/rancher/k3s/config.yaml, written by cloud-init.
#
# 1. Waits, at most DEADLINE_SEC seconds, until an interface holds NODE_IP:
#    Hetzner's private network may come up after cloud-init starts runcmd,
#    and k3s (etcd on servers) binds node-ip at start.
# 2. With JOIN_URL (servers 2-3 and agents), waits at most JOIN_DEADLINE_SEC
#    seconds until the cluster answers there: a k3s that starts before it
#    exits instead of retrying.
# 3. Installs with INSTALL_K3S_SKIP_START and starts the service itself,
#    then waits at most DEADLINE_SEC seconds until systemd reports it
#    active. install.sh ends with `systemctl restart k3s` under `set -e`,
#    so a first start that fails (etcd binding node-ip too early, say)
#    failed the whole install although systemd restarts k3s (Restart=always)
#    and it comes up moments later; what counts is whether it becomes
#    active within the deadline.
#
# Environment overrides (tests): CATALYST_K3S_CONFIG [/etc/rancher/k3s/config.yaml].
set -euo pipefail

version=$1
role=$2
node_ip=$3
deadline_sec=$4
join_url=${5:-}
join_deadline_sec=${6:-1200}
config=${CATALYST_K3S_CONFIG:-/etc/rancher/k3s/config.yaml}
case "$role" in
  server) unit=k3s ;;
  agent) unit=k3s-agent ;;
  *)
    echo "k3s-install: role must be server or agent, got $role" >&2
    exit 2
    ;;
esac
if [ ! -s "$config" ]; then
  echo "k3s-install: $config is missing" >&2
  exit 2
fi

# wait_for DEADLINE_SEC FAILURE_MESSAGE COMMAND...: runs COMMAND every 2 s
# until it succeeds; fails with the message once DEADLINE_SEC have passed.
wait_for() {
  local end=$(( $(date +%s) + $1 )) message="$2 within $1 s"
  shift 2
  until "$@"; do
    if [ "$(date +%s)" -ge "$end" ]; then
      echo "k3s-install: $message" >&2
      return 1
    fi
    sleep 2
  done
}
has_node_ip() { [[ $(ip -o -4 addr show) == *" inet $node_ip/"* ]]; }

wait_for "$deadline_sec" "no interface held node-ip $node_ip (private network attached?)" has_node_ip
echo "k3s-install: node-ip $node_ip is up"
if [ -n "$join_url" ]; then
  # /cacerts answers without credentials once a server runs; -k because the
  # CA is what is being fetched (k3s itself checks it against the token).
  wait_for "$join_deadline_sec" "the cluster did not answer at $join_url" curl -fsk --max-time 5 -o /dev/null "$join_url/cacerts"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The tag holds a '+', which must be %2B in the URL path.
url="https://raw.githubusercontent.com/k3s-io/k3s/${version//+/%2B}/install.sh"
curl -fsSL --proto '=https' --retry 5 --retry-delay 5 --retry-connrefused --connect-timeout 10 --max-time 120 -o "$work/install.sh" "$url"

INSTALL_K3S_VERSION=$version INSTALL_K3S_EXEC=$role INSTALL_K3S_SKIP_SELINUX_RPM=true INSTALL_K3S_SKIP_START=true sh "$work/install.sh"
systemctl start --no-block "$unit"
wait_for "$deadline_sec" "$unit did not become active (journalctl -u $unit)" systemctl is-active --quiet "$unit"
echo "k3s-install: $unit is active"
