#!/bin/bash
# cilium-install.sh HELM_VERSION HELM_SHA256_AMD64 HELM_SHA256_ARM64 CHART_VERSION CHART_SHA256 DEADLINE_SEC
#
# Installs Helm and the Cilium chart, both downloaded by exact version and
# verified against pinned SHA-256 checksums, with the values in
# /etc/catalyst/cilium-values.yaml; then waits for the Cilium DaemonSet.
set -euo pipefail

helm_version=$1
helm_sha_amd64=$2
helm_sha_arm64=$3
chart_version=$4
chart_sha=$5
deadline_sec=${6:-600}
values=/etc/catalyst/cilium-values.yaml
export KUBECONFIG=/etc/rancher/k3s/k3s.yaml

arch=$(dpkg --print-architecture)
case "$arch" in
  amd64) helm_sha=$helm_sha_amd64 ;;
  arm64) helm_sha=$helm_sha_arm64 ;;
  *)
    echo "cilium-install: unsupported architecture $arch" >&2
    exit 2
    ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fetch() {
  curl -fsSL --proto '=https' --retry 5 --retry-delay 5 --retry-connrefused --connect-timeout 10 --max-time 300 -o "$2" "$1"
}

fetch "https://get.helm.sh/helm-${helm_version}-linux-${arch}.tar.gz" "$work/helm.tar.gz"
printf '%s  %s\n' "$helm_sha" "$work/helm.tar.gz" | sha256sum --check --strict
tar -xzf "$work/helm.tar.gz" -C "$work" "linux-${arch}/helm"
install -m 0755 "$work/linux-${arch}/helm" /usr/local/bin/helm

fetch "https://helm.cilium.io/cilium-${chart_version}.tgz" "$work/cilium.tgz"
printf '%s  %s\n' "$chart_sha" "$work/cilium.tgz" | sha256sum --check --strict

helm upgrade --install cilium "$work/cilium.tgz" \
  --namespace kube-system \
  --values "$values" \
  --timeout "${deadline_sec}s"
k3s kubectl -n kube-system rollout status daemonset/cilium --timeout="${deadline_sec}s"
