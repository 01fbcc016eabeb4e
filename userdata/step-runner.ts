import stepRunnerScript from "./scripts/catalyst-step.sh";
import type { Fragment } from "./cloud-config";
import { PATHS } from "./paths";
import { scriptFile } from "./private/shell";

/**
 * Installs the step runner every other step's command runs under: it logs
 * the step to the console, enforces a deadline and writes
 * /var/lib/catalyst/steps/<step>.done or .failed (with the reason).
 */
export function stepRunnerStep(): Fragment {
  return {
    step: "step-runner",
    files: [scriptFile("catalyst-step.sh", stepRunnerScript, { path: PATHS.stepRunner })],
  };
}
