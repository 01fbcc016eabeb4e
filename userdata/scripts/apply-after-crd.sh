#!/bin/bash
# apply-after-crd.sh CRD MANIFEST DEADLINE_SEC
#
# Waits, at most DEADLINE_SEC seconds, until the CustomResourceDefinition
# CRD exists and is established (an operator registers it some time after
# its chart is installed), then applies MANIFEST with strict field
# validation: a field the installed CRD does not know is an error, not
# silently dropped.
set -euo pipefail

crd=$1
manifest=$2
deadline_sec=${3:-300}
export KUBECONFIG=/etc/rancher/k3s/k3s.yaml

end=$(( $(date +%s) + deadline_sec ))
until k3s kubectl get crd "$crd" >/dev/null 2>&1; do
  if [ "$(date +%s)" -ge "$end" ]; then
    echo "apply-after-crd: CRD $crd was not registered within ${deadline_sec}s" >&2
    exit 1
  fi
  sleep 5
done
k3s kubectl wait --for=condition=Established "crd/$crd" --timeout="${deadline_sec}s"
k3s kubectl apply --validate=strict -f "$manifest"
