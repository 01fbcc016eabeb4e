#!/bin/bash
# catalyst-step NAME COMMAND [ARG...]
#
# Runs one boot step under a deadline and leaves a marker:
#   $CATALYST_STEPS_DIR/NAME.done            on success
#   $CATALYST_STEPS_DIR/NAME.failed          on failure, with the reason
#   $CATALYST_STEPS_DIR/NAME.log             the step's output
# A step whose .done marker exists is skipped (re-running is safe), and no
# step runs once another has failed, so cloud-init-complete is only ever
# written after every step succeeded.
#
# When a step fails, the files listed in $CATALYST_REMOVE_ON_FAILURE (one
# path a line: secrets only later steps would have used) are deleted, so no
# secret outlives a failed boot on disk.
#
# Environment overrides:
#   CATALYST_STEPS_DIR          markers directory (default /var/lib/catalyst/steps)
#   CATALYST_STEP_TIMEOUT_SEC   deadline of one step (default 1800)
#   CATALYST_REMOVE_ON_FAILURE  list of files to delete on failure (default /etc/catalyst/remove-on-failure)
set -euo pipefail

if [ "$#" -lt 2 ]; then
  echo "usage: catalyst-step NAME COMMAND [ARG...]" >&2
  exit 2
fi
name=$1
shift
steps_dir=${CATALYST_STEPS_DIR:-/var/lib/catalyst/steps}
timeout_sec=${CATALYST_STEP_TIMEOUT_SEC:-1800}
remove_list=${CATALYST_REMOVE_ON_FAILURE:-/etc/catalyst/remove-on-failure}
mkdir -p "$steps_dir"
chmod 0700 "$steps_dir"

log() {
  printf 'catalyst-step: %s: %s\n' "$name" "$1"
}

if [ -e "$steps_dir/$name.done" ]; then
  log "already done, skipping"
  exit 0
fi
for marker in "$steps_dir"/*.failed; do
  if [ -e "$marker" ]; then
    log "not run: step $(basename "$marker" .failed) failed earlier (see $marker)"
    exit 1
  fi
done

log "starting"
started=$(date +%s)
set +e
timeout --kill-after=10 "$timeout_sec" "$@" 2>&1 | tee "$steps_dir/$name.log"
status=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - started ))

if [ "$status" -eq 0 ]; then
  date -u +%Y-%m-%dT%H:%M:%SZ > "$steps_dir/$name.done"
  log "done in ${elapsed}s"
  exit 0
fi
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  reason="deadline of ${timeout_sec}s passed"
else
  reason="exit status $status after ${elapsed}s"
fi
{
  printf 'step %s failed: %s\n' "$name" "$reason"
  printf 'last output:\n'
  tail -n 20 "$steps_dir/$name.log" || true
} > "$steps_dir/$name.failed"
if [ -f "$remove_list" ]; then
  while IFS= read -r secret_file; do
    if [ -n "$secret_file" ]; then rm -f -- "$secret_file"; fi
  done < "$remove_list"
fi
log "FAILED: $reason (see $steps_dir/$name.failed)"
exit "$status"
