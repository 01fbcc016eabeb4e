#!/bin/sh
# Fake k3s (also kubectl, crictl and ctr through links), installed by the
# fake installer. It records every call -- argv, stdin when a manifest is
# read from it, the content of every -f file -- under
# /var/lib/sovereign-rehearsal/calls/, answers like a healthy cluster, and
# as `k3s server|agent` (the systemd unit) writes the kubeconfig and
# reports ready.
set -eu

rec=/var/lib/sovereign-rehearsal
umask 077
mkdir -p "$rec/calls"

name=$(basename "$0")
case "$name" in
  kubectl | crictl | ctr) set -- "$name" "$@" ;;
esac

call=$rec/calls/$(date +%s%N)-$$
mkdir -p "$call/files"
printf '%s\0' "$@" >"$call/argv"

# The content of each manifest the call names.
n=0
expect_file=
for arg in "$@"; do
  file=
  if [ -n "$expect_file" ]; then
    file=$arg
    expect_file=
  else
    case "$arg" in
      -f | --filename) expect_file=1 ;;
      --filename=*) file=${arg#--filename=} ;;
    esac
  fi
  if [ -n "$file" ]; then
    n=$((n + 1))
    if [ "$file" = - ]; then
      cat >"$call/files/$n"
    elif [ -f "$file" ]; then
      cp "$file" "$call/files/$n"
    else
      echo "error: the path \"$file\" does not exist" >&2
      echo 1 >"$call/status"
      exit 1
    fi
  fi
done

config_value() {
  sed -n "s/^$1: *['\"]\{0,1\}\([^'\"]*\)['\"]\{0,1\} *\$/\1/p" /etc/rancher/k3s/config.yaml 2>/dev/null | head -n 1
}

# The first argument that is not a flag or a flag's value.
verb_of() {
  skip=
  for a in "$@"; do
    if [ -n "$skip" ]; then
      skip=
      continue
    fi
    case "$a" in
      -n | --namespace | --kubeconfig | --context | -o | --output | -l | --selector | -f | --filename | --for | --timeout | --type | --from-file | --from-literal | -p | --patch | --request-timeout | --field-manager) skip=1 ;;
      -*) ;;
      *)
        echo "$a"
        return
        ;;
    esac
  done
}

has() {
  want=$1
  shift
  for a in "$@"; do [ "$a" = "$want" ] && return 0; done
  return 1
}

# Names of the objects in the recorded manifests, as "kind/name".
objects() {
  for f in "$call"/files/*; do
    [ -f "$f" ] || continue
    awk '/^kind:/{k=tolower($2)} /^  name:/{if(k!=""){print k "/" $2; k=""}}' "$f"
  done
}

kubectl() {
  verb=$(verb_of "$@")
  case "$verb" in
    get)
      if has --raw "$@"; then
        # Like an API server that is not up yet: no kubeconfig, no answer.
        [ -f /etc/rancher/k3s/k3s.yaml ] || {
          echo "The connection to the server 127.0.0.1:6443 was refused" >&2
          return 1
        }
        echo ok
        return 0
      fi
      # A node's provider ID: as Hetzner's cloud controller sets it.
      case "$*" in
        *providerID*)
          echo "hcloud://4242"
          return 0
          ;;
      esac
      # get KIND [NAME...]: every object asked for exists.
      seen=
      printed=
      for a in "$@"; do
        case "$a" in -*) continue ;; esac
        if [ -z "$seen" ]; then
          [ "$a" = get ] && seen=kind
          continue
        fi
        if [ "$seen" = kind ]; then
          kind=$a
          seen=name
          continue
        fi
        echo "$kind/$a"
        printed=1
      done
      [ -n "$printed" ] || echo "${kind:-pod}/rehearsal"
      ;;
    apply)
      objects | sed 's/$/ configured/'
      ;;
    create)
      if has --dry-run=client "$@"; then
        create_dry_run "$@"
      else
        objects | sed 's/$/ created/'
      fi
      ;;
    wait) echo "condition met" ;;
    rollout) echo "successfully rolled out" ;;
    annotate | label | patch) echo "$verb: done" ;;
    version) echo "Client Version: v1.31.4+k3s1 (rehearsal fake)" ;;
    *) ;;
  esac
}

# `create secret generic|docker-registry NAME ... --dry-run=client -o yaml`.
create_dry_run() {
  secret_name=
  ns=default
  type=Opaque
  data=
  prev=
  for a in "$@"; do
    case "$prev" in
      -n | --namespace) ns=$a ;;
      --type) type=$a ;;
      --from-file)
        key=${a%%=*}
        src=${a#*=}
        data="$data  $key: $(base64 -w0 "$src")
"
        ;;
    esac
    case "$a" in
      --namespace=*) ns=${a#--namespace=} ;;
      --type=*) type=${a#--type=} ;;
      --from-file=*)
        spec=${a#--from-file=}
        key=${spec%%=*}
        src=${spec#*=}
        data="$data  $key: $(base64 -w0 "$src")
"
        ;;
    esac
    if [ "$prev" = generic ] || [ "$prev" = docker-registry ]; then secret_name=$a; fi
    prev=$a
  done
  printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: %s\ntype: %s\ndata:\n%s' "$secret_name" "$ns" "$type" "$data"
}

status=0
case "${1:-}" in
  server | agent)
    if [ "$1" = server ]; then
      mode=$(config_value write-kubeconfig-mode)
      mkdir -p /etc/rancher/k3s
      (
        umask 077
        cat >/etc/rancher/k3s/k3s.yaml <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: UkVIRUFSU0FMLUNB
    server: https://127.0.0.1:6443
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
users:
- user:
    client-certificate-data: UkVIRUFSU0FMLUNFUlQ=
    client-key-data: UkVIRUFSU0FMLUtFWQ==
KUBECONFIG
      )
      chmod "${mode:-0600}" /etc/rancher/k3s/k3s.yaml
    fi
    echo 0 >"$call/status"
    systemd-notify --ready || true
    exec sleep infinity
    ;;
  kubectl)
    shift
    kubectl "$@" || status=$?
    ;;
  --version | -v | version) echo "k3s version v1.31.4+k3s1 (rehearsal fake)" ;;
  *) ;;
esac
echo "$status" >"$call/status"
exit "$status"
