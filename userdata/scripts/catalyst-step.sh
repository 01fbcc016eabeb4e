#!/bin/bash
# catalyst-step NAME COMMAND [ARG...]
# catalyst-step --resume
#
# Runs one boot step under a deadline and leaves a marker:
#   $CATALYST_STEPS_DIR/NAME.done            on success
#   $CATALYST_STEPS_DIR/NAME.failed          on failure, with the reason
#   $CATALYST_STEPS_DIR/NAME.log             the step's output
# A step whose .done marker exists is skipped (re-running is safe), and no
# step runs once another has failed, so cloud-init-complete is only ever
# written after every step succeeded.
#
# The step manifest ($CATALYST_STEP_MANIFEST, written by cloud-init from the
# composer's data) has one line per step that needs something:
#   STEP WORD...   a WORD starting with '/' is a secret file only STEP uses,
#                  any other WORD a package STEP needs.
# Before a step runs, each of its packages must be installed: cloud-init
# carries on when apt fails, and a missing package then fails the step that
# needs it by name rather than as an obscure error of a later command.
#
# Secret files live no longer than this:
#   - when their step succeeds (or is found done), they are deleted;
#   - when any step fails, every secret file of every step is deleted, so
#     a failure nobody resumes leaves none on disk;
#   - `catalyst-step --resume` re-creates them all with cloud-init's
#     write_files (from cloud-init's cached copy of the user data), deletes
#     at once those of steps already done, removes the failure markers and
#     re-runs runcmd: done steps are skipped, the rest run again.
# (cloud-init's cache, /var/lib/cloud/instance, root only, and the metadata
# service keep the user data itself for the server's lifetime.)
#
# Environment overrides:
#   CATALYST_STEPS_DIR          markers directory (default /var/lib/catalyst/steps)
#   CATALYST_STEP_TIMEOUT_SEC   deadline of one step (default 1800)
#   CATALYST_STEP_MANIFEST      step manifest (default /etc/catalyst/steps)
#   CATALYST_RUNCMD             runcmd script --resume re-runs (default /var/lib/cloud/instance/scripts/runcmd)
set -euo pipefail

d=${CATALYST_STEPS_DIR:-/var/lib/catalyst/steps}
timeout_sec=${CATALYST_STEP_TIMEOUT_SEC:-1800}
manifest=${CATALYST_STEP_MANIFEST:-/etc/catalyst/steps}

# Prints the manifest words of step $1 (of every step when $1 is empty).
words() {
  local w
  [ -f "$manifest" ] || return 0
  while read -r -a w; do
    if [ -z "$1" ] || [ "${w[0]}" = "$1" ]; then printf '%s\n' "${w[@]:1}"; fi
  done < "$manifest"
}

# Deletes the secret files of step $1 (of every step when $1 is empty).
forget() {
  for w in $(words "$1"); do
    if [[ $w == /* ]]; then rm -f -- "$w"; fi
  done
}

if [ "${1:-}" = --resume ]; then
  cloud-init single --name write_files --frequency always
  cloud-init single --name write_files_deferred --frequency always
  for m in "$d"/*.done; do
    if [ -e "$m" ]; then forget "$(basename "$m" .done)"; fi
  done
  rm -f "$d"/*.failed
  exec sh "${CATALYST_RUNCMD:-/var/lib/cloud/instance/scripts/runcmd}"
fi

if [ "$#" -lt 2 ]; then
  echo "usage: catalyst-step NAME COMMAND [ARG...] | catalyst-step --resume" >&2
  exit 2
fi
name=$1
shift
mkdir -p "$d"
chmod 0700 "$d"

log() {
  printf 'catalyst-step: %s: %s\n' "$name" "$1"
}

# Marks the step failed with reason $1 (exit status $2), deletes every secret file, exits.
fail() {
  {
    printf 'step %s failed: %s\nlast output:\n' "$name" "$1"
    tail -n 20 "$d/$name.log"
  } > "$d/$name.failed"
  forget ""
  log "FAILED: $1 (see $d/$name.failed)"
  exit "$2"
}

if [ -e "$d/$name.done" ]; then
  forget "$name"
  log "already done, skipping"
  exit 0
fi
for m in "$d"/*.failed; do
  if [ -e "$m" ]; then
    log "not run: step $(basename "$m" .failed) failed earlier (see $m)"
    exit 1
  fi
done

: > "$d/$name.log"
for w in $(words "$name"); do
  if [[ $w != /* && $(dpkg-query -W -f="\${Status}" "$w" 2>/dev/null) != "install ok installed" ]]; then
    fail "package $w is not installed (cloud-init's package install failed? see /var/log/cloud-init.log)" 1
  fi
done

log "starting"
started=$(date +%s)
set +e
timeout --kill-after=10 "$timeout_sec" "$@" 2>&1 | tee "$d/$name.log"
status=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - started ))

if [ "$status" -eq 0 ]; then
  date -u +%Y-%m-%dT%H:%M:%SZ > "$d/$name.done"
  forget "$name"
  log "done in ${elapsed}s"
  exit 0
fi
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  fail "deadline of ${timeout_sec}s passed" "$status"
fi
fail "exit status $status after ${elapsed}s" "$status"
