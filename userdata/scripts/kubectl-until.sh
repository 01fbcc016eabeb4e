#!/bin/bash
# kubectl-until.sh DEADLINE_SEC KUBECTL_ARG...
#
# Runs `k3s kubectl KUBECTL_ARG...` every 5 seconds until it succeeds, at
# most DEADLINE_SEC seconds; fails with the command and its last error when
# the deadline passes. What it waits for is in the arguments: the API server
# (`get --raw /readyz`), or an object that k3s creates shortly after it
# starts (a command on that object fails with NotFound until it exists).
set -euo pipefail

deadline_sec=$1
shift
kubeconfig=${KUBECONFIG:-/etc/rancher/k3s/k3s.yaml}
end=$(( $(date +%s) + deadline_sec ))
attempt=0
until out=$(k3s kubectl --kubeconfig "$kubeconfig" --request-timeout=10s "$@" 2>&1); do
  attempt=$(( attempt + 1 ))
  if [ "$(date +%s)" -ge "$end" ]; then
    echo "kubectl-until: 'kubectl $*' did not succeed within ${deadline_sec}s ($attempt attempts); last answer: ${out:0:300}" >&2
    exit 1
  fi
  sleep 5
done
echo "kubectl-until: 'kubectl $*' succeeded"
