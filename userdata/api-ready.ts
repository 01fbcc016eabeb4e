import waitApiScript from "./scripts/wait-api.sh";
import type { Fragment } from "./cloud-config";
import { DEADLINES } from "./paths";
import { scriptFile } from "./private/shell";

/** First server only: wait, with a deadline, until the API server answers /readyz. */
export function apiReadyStep(deadlineSec: number = DEADLINES.apiReadySec): Fragment {
  const script = scriptFile("wait-api.sh", waitApiScript);
  return {
    step: "api-ready",
    files: [script],
    command: [script.path, String(deadlineSec)],
  };
}
