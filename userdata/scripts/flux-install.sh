#!/bin/bash
# flux-install.sh FLUX_VERSION DEADLINE_SEC
#
# Applies the install manifest of exactly FLUX_VERSION and waits, at most
# DEADLINE_SEC seconds, for every Flux controller to be available.
set -euo pipefail

version=$1
deadline_sec=${2:-600}
export KUBECONFIG=/etc/rancher/k3s/k3s.yaml

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
curl -fsSL --proto '=https' --retry 5 --retry-delay 5 --retry-connrefused --connect-timeout 10 --max-time 300 \
  -o "$work/install.yaml" "https://github.com/fluxcd/flux2/releases/download/${version}/install.yaml"
k3s kubectl apply -f "$work/install.yaml"
k3s kubectl -n flux-system wait --for=condition=Available deployment --all --timeout="${deadline_sec}s"
