#!/bin/bash
# apply-once.sh MANIFEST
#
# Applies a manifest that carries a secret, then removes the file whatever
# happened: the secret lives on in the cluster, not on the disk.
set -euo pipefail

manifest=$1
trap 'rm -f "$manifest"' EXIT
k3s kubectl --kubeconfig /etc/rancher/k3s/k3s.yaml apply -f "$manifest"
