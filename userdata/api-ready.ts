import waitApiScript from "./scripts/wait-api.sh";
import type { Fragment } from "./cloud-config";
import { DEADLINES, scriptPath } from "./paths";
import { scriptFile } from "./private/shell";

/** First server only: wait, with a deadline, until the API server answers /readyz. */
export function apiReadyStep(deadlineSec: number = DEADLINES.apiReadySec): Fragment {
  const script = scriptPath("wait-api.sh");
  return {
    step: "api-ready",
    files: [scriptFile("wait-api.sh", waitApiScript)],
    command: [script, String(deadlineSec)],
  };
}
