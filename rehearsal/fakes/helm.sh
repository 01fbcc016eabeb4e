#!/bin/sh
# Fake helm, packed into the fake get.helm.sh archive. Records argv and the
# content of every values file under /var/lib/sovereign-rehearsal/helm/,
# with the SHA-256 of the chart archive it was given, and answers like a
# successful install.
set -eu

rec=/var/lib/sovereign-rehearsal
umask 077
call=$rec/helm/$(date +%s%N)-$$
mkdir -p "$call/values"
printf '%s\0' "$@" >"$call/argv"

n=0
expect=
for arg in "$@"; do
  file=
  if [ -n "$expect" ]; then
    file=$arg
    expect=
  else
    case "$arg" in
      -f | --values) expect=1 ;;
      --values=*) file=${arg#--values=} ;;
    esac
  fi
  if [ -n "$file" ]; then
    n=$((n + 1))
    cp "$file" "$call/values/$n"
  fi
  case "$arg" in
    *.tgz) [ -f "$arg" ] && sha256sum "$arg" | cut -d' ' -f1 >"$call/chart-sha256" ;;
  esac
done

case "${1:-}" in
  version) echo 'version.BuildInfo{Version:"rehearsal-fake"}' ;;
  upgrade | install)
    release=
    for a in "$@"; do
      case "$a" in
        upgrade | install | -*) ;;
        *)
          release=$a
          break
          ;;
      esac
    done
    printf 'Release "%s" has been upgraded. Happy Helming!\nSTATUS: deployed\n' "$release"
    ;;
  *) ;;
esac
