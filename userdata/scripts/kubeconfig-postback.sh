#!/usr/bin/env bash
# kubeconfig-postback.sh: once k3s is up, send this cluster's kubeconfig to the
# provisioning API (first control-plane server only):
#   PUT <apiUrl>/api/v1/deployments/<deploymentId>/kubeconfig
#   Authorization: Bearer <one-time token>, Content-Type: application/x-yaml
#   body: k3s.yaml with https://127.0.0.1:6443 -> https://<loadBalancerIpv4>:6443
#
# Environment [default]:
#   POSTBACK_SETTINGS [/etc/catalyst/postback.json]: JSON
#     {"apiUrl": "https://...", "deploymentId": "...", "loadBalancerIpv4": "a.b.c.d"}
#   POSTBACK_BEARER_FILE [/etc/catalyst/postback-bearer]: the token alone,
#     64 lowercase hex characters, at most one trailing newline
#   POSTBACK_KUBECONFIG [/etc/rancher/k3s/k3s.yaml]
#   POSTBACK_WORKDIR [/run]: parent of the private (mktemp -d) work dir
#   POSTBACK_CA_BUNDLE []: CA file for curl --cacert (empty: system CAs)
#   POSTBACK_DEADLINE_SEC [900]: no attempt starts after this
#   POSTBACK_RETRY_INITIAL_SEC [2], POSTBACK_RETRY_MAX_SEC [30]: first backoff,
#     doubled after each retry up to the max
#   POSTBACK_CONNECT_TIMEOUT_SEC [10], POSTBACK_MAX_TIME_SEC [60]: curl
#     --connect-timeout, --max-time of one attempt (cut at the deadline)
#   *_SEC: seconds > 0, at most three decimals (e.g. 0.25)
#
# Retries with backoff: no HTTP answer (connect/TLS failure, timeout), 408,
# 429, 5xx. Any other answer is final. Exit status:
#   0  stored (2xx), or 403 already-set (an earlier 204 was probably lost)
#   1  refused (other 4xx, unexpected status), or the deadline passed
#   2  bad input or local problem (settings, bearer, kubeconfig, tools, work
#      dir, or curl cannot send: bad option/URL, unreadable file or CA bundle)
#   128+n  killed by signal n (HUP, INT, TERM)
# The token never appears on a command line or in the log.

set -euo pipefail
umask 077
export LC_ALL=C

# One line per message: control characters (from bad input) become '?'.
log() {
  local m=$*
  printf 'kubeconfig-postback: %s\n' "${m//[[:cntrl:]]/?}" >&2
}
die() { log "${@:2}"; exit "$1"; }

# ---------------------------------------------------------------- clean-up --

# w: the work dir; c: the pid of the running curl or sleep.
w='' c=''
cleanup() {
  set +e
  [[ -n $c ]] && kill "$c" && wait "$c"
  [[ -n $w ]] && rm -rf -- "$w"
} 2>/dev/null
sig() { log "interrupted by signal $1"; exit $((128 + $1)); }
trap cleanup EXIT
trap 'sig 1' HUP
trap 'sig 2' INT
trap 'sig 15' TERM

# -------------------------------------------------------------- settings --

sf=${POSTBACK_SETTINGS:-/etc/catalyst/postback.json}
bf=${POSTBACK_BEARER_FILE:-/etc/catalyst/postback-bearer}
kc=${POSTBACK_KUBECONFIG:-/etc/rancher/k3s/k3s.yaml}
wp=${POSTBACK_WORKDIR:-/run}
ca=${POSTBACK_CA_BUNDLE:-}

# POSTBACK_<X>_SEC (default after the colon) to milliseconds in $<X>.
for v in DEADLINE:900 RETRY_INITIAL:2 RETRY_MAX:30 CONNECT_TIMEOUT:10 MAX_TIME:60; do
  n=POSTBACK_${v%:*}_SEC
  x=${!n:-${v#*:}}
  m=0
  [[ $x =~ ^([0-9]{1,7})(\.([0-9]{1,3}))?$ ]] && f=${BASH_REMATCH[3]}000 &&
    m=$((10#${BASH_REMATCH[1]} * 1000 + 10#${f:0:3}))
  ((m)) || die 2 "$n must be a number > 0 (e.g. 0.25), not '$x'"
  printf -v "${v%:*}" %d "$m"
done

# Milliseconds as seconds with three decimals, in $S.
sec() { printf -v S %d.%03d $(($1 / 1000)) $(($1 % 1000)); }

# Milliseconds in $N: since the epoch, or (before bash 5) since the start.
now() {
  local t=${EPOCHREALTIME-$SECONDS.000000}
  N=$((10#${t/./} / 1000))
}
now
end=$((N + DEADLINE))

for x in curl jq sed grep mktemp rm sleep; do
  command -v $x >/dev/null || die 2 "$x is not installed"
done

# A regular, readable file ($1 names it in the message).
rd() { [[ -f $2 && -r $2 ]] || die 2 "$1 $2 is missing or unreadable"; }
rd "settings file" "$sf"
jq -e 'type == "object"' "$sf" >/dev/null 2>&1 || die 2 "settings file $sf is not a JSON object"

# A string field of the settings ("" if absent or not a string); cannot fail
# on the JSON object checked above.
j() { jq -r ".$1 | strings" "$sf"; }
u=$(j apiUrl)
id=$(j deploymentId)
ip=$(j loadBalancerIpv4)

# https only; no spaces or control characters, no credentials, query or fragment.
[[ $u == https://* ]] || die 2 "apiUrl in $sf must start with https:// (got '${u:0:80}')"
[[ $u =~ ^https://[^/?#@[:space:][:cntrl:]]+(/[^?#[:space:][:cntrl:]]*)?$ ]] ||
  die 2 "apiUrl in $sf is not a plain https URL (no credentials, query, fragment or spaces)"
# Without trailing slashes.
u=${u%"${u##*[!/]}"}

[[ -n $id ]] || die 2 "deploymentId in $sf is missing or empty"
# It goes into the URL path (the API's ids are hex).
[[ $id =~ ^[A-Za-z0-9_-]+$ ]] || die 2 "deploymentId in $sf must be letters, digits, '-' or '_'"

o='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
[[ $ip =~ ^$o\.$o\.$o\.$o$ ]] ||
  die 2 "loadBalancerIpv4 in $sf must be a dotted-quad IPv4 address (got '${ip:0:40}')"

[[ -z $ca ]] || rd POSTBACK_CA_BUNDLE "$ca"

# ---------------------------------------------------------------- bearer --

# Builtins only: the token never becomes an argument of a program.
rd "bearer file" "$bf"
[[ -s $bf ]] || die 2 "bearer file $bf is empty"
# read -d '' succeeds only when it meets a NUL.
IFS= read -r -d '' t <"$bf" && die 2 "bearer file $bf contains a NUL byte"
t=${t%$'\n'}
[[ $t =~ ^[0-9a-f]{64}$ ]] ||
  die 2 "bearer file $bf must be exactly 64 lowercase hex characters (+ an optional newline)"

# ------------------------------------------------------------ kubeconfig --

rd kubeconfig "$kc"
grep -qF https://127.0.0.1:6443 -- "$kc" || die 2 "kubeconfig $kc does not contain https://127.0.0.1:6443"

# ------------------------------------------------------------- work dir --

w=$(mktemp -d "$wp/kubeconfig-postback.XXXXXXXXXX" 2>/dev/null) || die 2 "cannot create a work directory in $wp"
# h: auth header, b: body, r: response, s: HTTP status, e: curl's stderr.
r=$w/r

printf 'Authorization: Bearer %s\n' "$t" >"$w/h"
t=

# $ip is digits and dots only (checked above): safe in the replacement.
sed "s|https://127\\.0\\.0\\.1:6443|https://$ip:6443|g" -- "$kc" >"$w/b" || die 2 "cannot rewrite $kc"

url=$u/api/v1/deployments/$id/kubeconfig

# ------------------------------------------------------------ responses --

# curl's own message (first line, without "curl: (n) ") in $E.
ce() {
  IFS= read -r E <"$w/e" || :
  E=${E#curl: (*) }
  E=${E//[[:cntrl:]]/ }
  E=${E:0:200}
  E=${E:-no message}
}

# ------------------------------------------------------------------ loop --

n=0
d=$((RETRY_INITIAL < RETRY_MAX ? RETRY_INITIAL : RETRY_MAX))
while :; do
  n=$((n + 1))
  now
  x=$((end - N))
  sec $((x > MAX_TIME ? MAX_TIME : x < 1 ? 1 : x))
  : >"$r"
  # In the background so that a signal is handled at once. -q (--disable,
  # ignore any .curlrc) must come first; -T: PUT the file; "Expect:" turns
  # off 100-continue.
  curl -q -sS --proto =https --proto-redir =https --tlsv1.2 -T "$w/b" \
    -H "@$w/h" -H 'Content-Type: application/x-yaml' -H Expect: -o "$r" -w '%{http_code}' ${ca:+--cacert "$ca"} \
    --connect-timeout "${POSTBACK_CONNECT_TIMEOUT_SEC:-10}" --max-time "$S" "$url" >"$w/s" 2>"$w/e" &
  c=$!
  wait $c && rc=0 || rc=$?
  c=

  h=
  read -r h <"$w/s" || :
  [[ $h =~ ^[0-9]{3}$ ]] || h=000
  case $h in
    000)
      ce
      # Unsupported protocol, bad option or URL, unreadable body or CA
      # file: the next attempt would fail the same way.
      [[ $rc =~ ^(1|2|3|4|26|27|43|48|58|77)$ ]] &&
        die 2 "attempt $n: curl cannot send the request (exit $rc: $E)"
      o="no HTTP response (curl exit $rc: $E)"
      ;;
    2??)
      x=
      ((rc)) && ce && x=" (then curl exit $rc: $E)"
      log "attempt $n: HTTP $h$x; kubeconfig stored at $url"
      exit 0
      ;;
    *)
      # The API's error code from the response body, for the log, in $A.
      if [[ ! -s $r ]]; then
        A="empty response body"
      elif ! e=$(jq -r '.error? | strings' "$r" 2>/dev/null); then
        A="response body is not JSON"
      elif [[ -z $e ]]; then
        A="no error code in response"
      else
        e=${e//[^A-Za-z0-9._:-]/?}
        A="error: ${e:0:80}"
      fi
      o="HTTP $h ($A)"
      if [[ ! $h =~ ^(408|429|5..)$ ]]; then
        [[ $h$A == "403error: already-set" ]] &&
          log "attempt $n: $o; warning: already stored, an earlier reply was probably lost" &&
          exit 0
        die 1 "attempt $n: $o; refused, not retrying"
      fi
      ;;
  esac

  # Retryable. Never sleep past the deadline.
  now
  ((N + d < end)) || die 1 "deadline of ${POSTBACK_DEADLINE_SEC:-900} s passed after $n attempts (last: $o)"
  sec $d
  log "attempt $n: $o; retrying in $S s"
  sleep "$S" &
  c=$!
  wait $c || :
  c=
  d=$((d * 2 > RETRY_MAX ? RETRY_MAX : d * 2))
done
