import fluxInstallScript from "./scripts/flux-install.sh";
import type { Fragment } from "./cloud-config";
import type { BootInput } from "./boot-input";
import { DEADLINES, scriptPath } from "./paths";
import { scriptFile } from "./private/shell";

/** First server only: Flux's pinned install manifest, then a bounded wait for its controllers. */
export function fluxStep(input: BootInput): Fragment {
  const script = scriptPath("flux-install.sh");
  return {
    step: "flux",
    files: [scriptFile("flux-install.sh", fluxInstallScript)],
    command: [script, input.versions.flux, String(DEADLINES.fluxSec)],
  };
}
