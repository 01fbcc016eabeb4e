import type { Fragment } from "./cloud-config";
import { DEADLINES } from "./paths";
import { kubectlUntil } from "./private/kubectl-until";

/** First server only: wait, with a deadline, until the API server answers /readyz. */
export function apiReadyStep(deadlineSec: number = DEADLINES.apiReadySec): Fragment {
  return kubectlUntil("api-ready", deadlineSec, ["get", "--raw", "/readyz"]);
}
