import type { Fragment } from "./cloud-config";
import { PATHS } from "./paths";

/** Last step: the completion marker, reached only when every step before succeeded. */
export function completeStep(): Fragment {
  return { step: "complete", command: ["touch", PATHS.complete] };
}
