#!/usr/bin/env bash
# kubeconfig-postback.sh: send this cluster's kubeconfig to the provisioning API
# once k3s is up, from the first control-plane server.
#
#   PUT <apiUrl>/api/v1/deployments/<deploymentId>/kubeconfig
#   Authorization: Bearer <one-time token>      Content-Type: application/x-yaml
#   body: the k3s kubeconfig, with https://127.0.0.1:6443 rewritten to
#         https://<loadBalancerIpv4>:6443 (nothing else changed)
#
# Environment overrides (default in brackets):
#   POSTBACK_SETTINGS             [/etc/catalyst/postback.json]
#       JSON {"apiUrl": "https://...", "deploymentId": "...", "loadBalancerIpv4": "a.b.c.d"}
#   POSTBACK_BEARER_FILE          [/etc/catalyst/postback-bearer]
#       the token alone: 64 lowercase hex characters, optionally one trailing newline
#   POSTBACK_KUBECONFIG           [/etc/rancher/k3s/k3s.yaml]
#   POSTBACK_WORKDIR              [/run]  parent of the private (mktemp -d) work directory
#   POSTBACK_DEADLINE_SEC         [900]   give up when the next attempt would start later
#   POSTBACK_CA_BUNDLE            []      empty: system CAs; else a CA file for curl --cacert
#   POSTBACK_RETRY_INITIAL_SEC    [2]     first backoff; doubles after each retry ...
#   POSTBACK_RETRY_MAX_SEC        [30]    ... up to this cap
#   POSTBACK_CONNECT_TIMEOUT_SEC  [10]    curl --connect-timeout
#   POSTBACK_MAX_TIME_SEC         [60]    curl --max-time of one attempt (cut to the time
#                                         left before the deadline)
# The *_SEC values are seconds with at most three decimals (e.g. 0.25).
#
# Retries, with backoff, only what can succeed later: no HTTP answer (connection
# failure, timeout, TLS failure), 408, 429 and 5xx. Any other answer is final.
#
# Exit status:
#   0  kubeconfig stored (2xx), or the API says it is already stored
#      (403 already-set: an earlier attempt's 204 was probably lost)
#   1  the API refused it (4xx other than already-set, unexpected status), or
#      the deadline passed
#   2  bad input or local problem (settings, bearer, kubeconfig, tools, work dir,
#      or curl cannot even send: bad option/URL, unreadable file or CA bundle)
#   128+n  killed by signal n (HUP, INT, TERM)
#
# The token never appears on a command line or in the log: it is read and
# written with bash builtins only, into a curl header file in the work dir,
# which every exit path removes.

set -euo pipefail
umask 077
export LC_ALL=C

readonly PROG="kubeconfig-postback"

# One line per message: control characters (from bad input) become '?'.
log() {
  local message=$*
  printf '%s: %s\n' "$PROG" "${message//[[:cntrl:]]/?}" >&2
}

die() {
  local status=$1
  shift
  log "$*"
  exit "$status"
}

# ---------------------------------------------------------------- clean-up --

workdir=""
child=""

cleanup() {
  if [[ -n $child ]]; then
    kill "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
    child=""
  fi
  if [[ -n $workdir ]]; then
    rm -rf -- "$workdir" || true
    workdir=""
  fi
}

on_signal() {
  log "interrupted by signal $1; giving up"
  exit $((128 + $1))
}

trap cleanup EXIT
trap 'on_signal 1' HUP
trap 'on_signal 2' INT
trap 'on_signal 15' TERM

# -------------------------------------------------------------- settings --

settings_file=${POSTBACK_SETTINGS:-/etc/catalyst/postback.json}
bearer_file=${POSTBACK_BEARER_FILE:-/etc/catalyst/postback-bearer}
kubeconfig=${POSTBACK_KUBECONFIG:-/etc/rancher/k3s/k3s.yaml}
workdir_parent=${POSTBACK_WORKDIR:-/run}
ca_bundle=${POSTBACK_CA_BUNDLE:-}

# Seconds with at most three decimals, to milliseconds in $MS; the name of
# the variable is for the message.
MS=0
to_ms() {
  local name=$1 value=$2 whole frac
  if [[ ! $value =~ ^([0-9]{1,7})(\.([0-9]{1,3}))?$ ]]; then
    die 2 "$name must be a number of seconds like 5 or 0.25, not '$value'"
  fi
  whole=${BASH_REMATCH[1]}
  frac=${BASH_REMATCH[3]}
  frac="${frac}000"
  MS=$((10#$whole * 1000 + 10#${frac:0:3}))
  if ((MS <= 0)); then
    die 2 "$name must be more than 0 seconds"
  fi
}

deadline_sec=${POSTBACK_DEADLINE_SEC:-900}
to_ms POSTBACK_DEADLINE_SEC "$deadline_sec"
deadline_ms=$MS
to_ms POSTBACK_RETRY_INITIAL_SEC "${POSTBACK_RETRY_INITIAL_SEC:-2}"
retry_initial_ms=$MS
to_ms POSTBACK_RETRY_MAX_SEC "${POSTBACK_RETRY_MAX_SEC:-30}"
retry_max_ms=$MS
to_ms POSTBACK_CONNECT_TIMEOUT_SEC "${POSTBACK_CONNECT_TIMEOUT_SEC:-10}"
connect_timeout_ms=$MS
to_ms POSTBACK_MAX_TIME_SEC "${POSTBACK_MAX_TIME_SEC:-60}"
max_time_ms=$MS

# Milliseconds as seconds with three decimals, in $SEC.
SEC=0
to_sec() {
  printf -v SEC '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
}

# Milliseconds since the epoch in $NOW (whole seconds before bash 5).
NOW=0
now_ms() {
  if [[ -n ${EPOCHREALTIME:-} ]]; then
    local t=${EPOCHREALTIME//[!0-9]/}
    NOW=$((10#$t / 1000))
  else
    NOW=$((SECONDS * 1000))
  fi
}

now_ms
started_ms=$NOW
give_up_at=$((started_ms + deadline_ms))

for tool in curl jq sed grep mktemp rm sleep; do
  command -v "$tool" >/dev/null 2>&1 || die 2 "$tool is not installed"
done

[[ -f $settings_file && -r $settings_file ]] || die 2 "settings file $settings_file is missing or unreadable"
jq -e 'type == "object"' "$settings_file" >/dev/null 2>&1 || die 2 "settings file $settings_file is not a JSON object"

# String fields of the settings file ("" if absent or not a string).
api_url=$(jq -r '.apiUrl | strings' "$settings_file") ||
  die 2 "cannot read apiUrl from $settings_file"
deployment_id=$(jq -r '.deploymentId | strings' "$settings_file") ||
  die 2 "cannot read deploymentId from $settings_file"
lb_ipv4=$(jq -r '.loadBalancerIpv4 | strings' "$settings_file") ||
  die 2 "cannot read loadBalancerIpv4 from $settings_file"

# https only; no spaces or control characters, no credentials, query or fragment.
if [[ ! $api_url =~ ^https:// ]]; then
  die 2 "apiUrl in $settings_file must start with https:// (got '${api_url:0:80}'); only https is allowed"
fi
if [[ ! $api_url =~ ^https://[^/?#@[:space:][:cntrl:]]+(/[^?#[:space:][:cntrl:]]*)?$ ]]; then
  die 2 "apiUrl in $settings_file is not a plain https URL (no credentials, query, fragment or spaces)"
fi
while [[ $api_url == */ ]]; do
  api_url=${api_url%/}
done

[[ -n $deployment_id ]] || die 2 "deploymentId in $settings_file is missing or empty"
# It goes into the URL path: letters, digits, '-' and '_' only (the API's ids are hex).
[[ $deployment_id =~ ^[A-Za-z0-9_-]+$ ]] || die 2 "deploymentId in $settings_file must be letters, digits, '-' or '_'"

octet='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
if [[ ! $lb_ipv4 =~ ^$octet\.$octet\.$octet\.$octet$ ]]; then
  die 2 "loadBalancerIpv4 in $settings_file must be a dotted-quad IPv4 address like 192.0.2.10 (got '${lb_ipv4:0:40}')"
fi

if [[ -n $ca_bundle && ! ( -f $ca_bundle && -r $ca_bundle ) ]]; then
  die 2 "POSTBACK_CA_BUNDLE $ca_bundle is missing or unreadable"
fi

# ---------------------------------------------------------------- bearer --

# Builtins only: the token never becomes an argument of a program.
[[ -f $bearer_file && -r $bearer_file ]] || die 2 "bearer file $bearer_file is missing or unreadable"
[[ -s $bearer_file ]] || die 2 "bearer file $bearer_file is empty"
token=""
if IFS= read -r -d '' token <"$bearer_file"; then
  token=""
  die 2 "bearer file $bearer_file contains a NUL byte"
fi
token=${token%$'\n'}
if [[ ! $token =~ ^[0-9a-f]{64}$ ]]; then
  token=""
  die 2 "bearer file $bearer_file must hold exactly 64 lowercase hex characters (and at most one trailing newline)"
fi

# ------------------------------------------------------------ kubeconfig --

readonly LOCAL_SERVER='https://127.0.0.1:6443'
[[ -f $kubeconfig && -r $kubeconfig ]] || die 2 "kubeconfig $kubeconfig is missing or unreadable"
grep -qF -e "$LOCAL_SERVER" -- "$kubeconfig" || die 2 "kubeconfig $kubeconfig does not contain $LOCAL_SERVER"

# ------------------------------------------------------------- work dir --

[[ -d $workdir_parent && -w $workdir_parent ]] || die 2 "work directory parent $workdir_parent is missing or not writable"
workdir=$(mktemp -d "$workdir_parent/kubeconfig-postback.XXXXXXXXXX") || die 2 "cannot create a work directory in $workdir_parent"

header_file=$workdir/auth-header
body_file=$workdir/kubeconfig.yaml
response_file=$workdir/response
status_file=$workdir/status
curl_err_file=$workdir/curl-stderr

printf 'Authorization: Bearer %s\n' "$token" >"$header_file"
token=""

# $lb_ipv4 is digits and dots only (checked above), so it is safe in the
# replacement; the dots of the pattern are escaped.
sed -e "s|https://127\\.0\\.0\\.1:6443|https://${lb_ipv4}:6443|g" -- "$kubeconfig" >"$body_file" ||
  die 2 "cannot rewrite $kubeconfig"
if grep -qF -e "$LOCAL_SERVER" -- "$body_file" || ! grep -qF -e "https://${lb_ipv4}:6443" -- "$body_file"; then
  die 2 "rewriting $kubeconfig failed"
fi

url="$api_url/api/v1/deployments/$deployment_id/kubeconfig"

curl_args=(
  --disable # first: ignore any .curlrc
  --silent --show-error
  --proto '=https' --proto-redir '=https'
  --tlsv1.2
  --request PUT
  --header "@$header_file"
  --header 'Content-Type: application/x-yaml'
  --header 'Expect:'
  --data-binary "@$body_file"
  --output "$response_file"
  --write-out '%{http_code}'
)
if [[ -n $ca_bundle ]]; then
  curl_args+=(--cacert "$ca_bundle")
fi

# ------------------------------------------------------------ responses --

# The API's error code from the response body, for the log, in $API_ERROR.
API_ERROR=""
read_api_error() {
  local code
  if [[ ! -s $response_file ]]; then
    API_ERROR="empty response body"
    return
  fi
  if ! code=$(jq -r 'if type == "object" and (.error | type) == "string" then .error else "" end' "$response_file" 2>/dev/null); then
    API_ERROR="response body is not JSON"
    return
  fi
  if [[ -z $code ]]; then
    API_ERROR="no error code in response"
    return
  fi
  code=${code//[^A-Za-z0-9._:-]/?}
  API_ERROR="error: ${code:0:80}"
}

# curl's own message (first line, without its "curl: (n) " prefix) in $CURL_ERROR.
CURL_ERROR=""
read_curl_error() {
  local line=""
  if [[ -s $curl_err_file ]]; then
    IFS= read -r line <"$curl_err_file" || true
  fi
  line=${line#curl: }
  if [[ $line =~ ^\([0-9]+\)\ (.*)$ ]]; then
    line=${BASH_REMATCH[1]}
  fi
  line=${line//[[:cntrl:]]/ }
  CURL_ERROR=${line:0:200}
}

# ------------------------------------------------------------------ loop --

attempt=0
delay_ms=$((retry_initial_ms < retry_max_ms ? retry_initial_ms : retry_max_ms))
last=""

while :; do
  attempt=$((attempt + 1))
  now_ms
  attempt_ms=$((give_up_at - NOW))
  if ((attempt_ms > max_time_ms)); then
    attempt_ms=$max_time_ms
  fi
  if ((attempt_ms < 1)); then
    attempt_ms=1
  fi
  to_sec "$attempt_ms"
  attempt_sec=$SEC
  to_sec "$connect_timeout_ms"
  connect_sec=$SEC

  rm -f -- "$response_file" "$status_file" "$curl_err_file"
  # In the background so that a signal is handled at once.
  curl "${curl_args[@]}" --connect-timeout "$connect_sec" --max-time "$attempt_sec" "$url" \
    >"$status_file" 2>"$curl_err_file" &
  child=$!
  if wait "$child"; then curl_rc=0; else curl_rc=$?; fi
  child=""

  http_code=""
  if [[ -s $status_file ]]; then
    IFS= read -r http_code <"$status_file" || true
  fi
  [[ $http_code =~ ^[0-9]{3}$ ]] || http_code=000

  if [[ $http_code == 000 ]]; then
    read_curl_error
    case $curl_rc in
      0)
        outcome="no HTTP status from curl"
        ;;
      1 | 2 | 3 | 4 | 26 | 27 | 43 | 48 | 58 | 77)
        # Unsupported protocol, bad option or URL, unreadable body or CA file:
        # the next attempt would fail the same way.
        die 2 "attempt $attempt: curl cannot send the request (exit $curl_rc: ${CURL_ERROR:-no message})"
        ;;
      *)
        outcome="no HTTP response (curl exit $curl_rc: ${CURL_ERROR:-no message})"
        ;;
    esac
  else
    case $http_code in
      2??)
        if ((curl_rc != 0)); then
          read_curl_error
          log "attempt $attempt: HTTP $http_code (curl exit $curl_rc after the status: ${CURL_ERROR:-no message})"
        else
          log "attempt $attempt: HTTP $http_code"
        fi
        log "kubeconfig stored at $url"
        exit 0
        ;;
      408 | 429 | 5??)
        read_api_error
        outcome="HTTP $http_code ($API_ERROR)"
        ;;
      403)
        read_api_error
        if [[ $API_ERROR == "error: already-set" ]]; then
          log "attempt $attempt: HTTP 403 ($API_ERROR)"
          log "warning: the API already has a kubeconfig for deployment $deployment_id (already-set); an earlier attempt's answer was probably lost, so treating this as done"
          exit 0
        fi
        log "attempt $attempt: HTTP 403 ($API_ERROR)"
        die 1 "the API refused the kubeconfig: HTTP 403 ($API_ERROR); not retrying"
        ;;
      *)
        read_api_error
        log "attempt $attempt: HTTP $http_code ($API_ERROR)"
        die 1 "the API refused the kubeconfig: HTTP $http_code ($API_ERROR); not retrying"
        ;;
    esac
  fi

  # Retryable. Never sleep past the deadline.
  last=$outcome
  now_ms
  if ((NOW + delay_ms >= give_up_at)); then
    log "attempt $attempt: $outcome"
    die 1 "deadline of $deadline_sec s passed after $attempt attempts (last: $last)"
  fi
  to_sec "$delay_ms"
  log "attempt $attempt: $outcome; retrying in $SEC s"
  sleep "$SEC" &
  child=$!
  wait "$child" || true
  child=""
  delay_ms=$((delay_ms * 2))
  if ((delay_ms > retry_max_ms)); then
    delay_ms=$retry_max_ms
  fi
done
