#!/bin/bash
# hcloud-ccm-install.sh SECRET_MANIFEST CHART_VERSION CHART_SHA256 NODE_NAME DEADLINE_SEC
#
# Installs Hetzner's cloud controller manager: applies the kube-system/hcloud
# Secret (its file is removed whatever happens), downloads the chart by
# exact version and verifies it against a pinned SHA-256, installs it with
# the Helm the cilium step installed and the values in
# /etc/catalyst/hcloud-ccm-values.yaml, then waits, at most DEADLINE_SEC
# seconds each, for the controller to run and for NODE_NAME to carry the
# hcloud:// provider ID that shows the controller initialised it.
set -euo pipefail

secret=$1
chart_version=$2
chart_sha=$3
node=$4
deadline_sec=${5:-600}
values=/etc/catalyst/hcloud-ccm-values.yaml
export KUBECONFIG=/etc/rancher/k3s/k3s.yaml

work=$(mktemp -d)
trap 'rm -rf "$work"; rm -f "$secret"' EXIT
if ! command -v helm >/dev/null; then
  echo "hcloud-ccm-install: helm is not installed (the cilium step installs it)" >&2
  exit 2
fi
k3s kubectl apply -f "$secret"

curl -fsSL --proto '=https' --retry 5 --retry-delay 5 --retry-connrefused --connect-timeout 10 --max-time 300 \
  -o "$work/chart.tgz" "https://charts.hetzner.cloud/hcloud-cloud-controller-manager-${chart_version}.tgz"
printf '%s  %s\n' "$chart_sha" "$work/chart.tgz" | sha256sum --check --strict

helm upgrade --install hcloud-cloud-controller-manager "$work/chart.tgz" \
  --namespace kube-system \
  --values "$values" \
  --timeout "${deadline_sec}s"
k3s kubectl -n kube-system rollout status deployment/hcloud-cloud-controller-manager --timeout="${deadline_sec}s"

end=$(( $(date +%s) + deadline_sec ))
until [[ $(k3s kubectl get node "$node" -o 'jsonpath={.spec.providerID}' 2>/dev/null) == hcloud://* ]]; do
  if [ "$(date +%s)" -ge "$end" ]; then
    echo "hcloud-ccm-install: node $node has no hcloud:// provider ID after ${deadline_sec}s (see the controller's log: k3s kubectl -n kube-system logs deployment/hcloud-cloud-controller-manager)" >&2
    exit 1
  fi
  sleep 5
done
echo "hcloud-ccm-install: node $node initialised by the cloud controller"
