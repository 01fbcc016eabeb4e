#!/bin/bash
# wait-api.sh DEADLINE_SEC
#
# Waits until the local Kubernetes API server answers /readyz, at most
# DEADLINE_SEC seconds; fails with a clear message when the deadline passes.
set -euo pipefail

deadline_sec=${1:-600}
kubeconfig=${KUBECONFIG:-/etc/rancher/k3s/k3s.yaml}
end=$(( $(date +%s) + deadline_sec ))
attempt=0
until k3s kubectl --kubeconfig "$kubeconfig" --request-timeout=10s get --raw /readyz >/dev/null 2>&1; do
  attempt=$(( attempt + 1 ))
  if [ "$(date +%s)" -ge "$end" ]; then
    echo "wait-api: the API server was not ready after ${deadline_sec}s ($attempt attempts)" >&2
    exit 1
  fi
  sleep 5
done
echo "wait-api: the API server is ready"
