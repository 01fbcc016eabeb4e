import fluxInstallScript from "./scripts/flux-install.sh";
import type { Fragment } from "./cloud-config";
import type { BootInput } from "./boot-input";
import { DEADLINES } from "./paths";
import { scriptFile } from "./private/shell";

/** First server only: Flux's pinned install manifest, then a bounded wait for its controllers. */
export function fluxStep(input: BootInput): Fragment {
  const script = scriptFile("flux-install.sh", fluxInstallScript);
  return {
    step: "flux",
    files: [script],
    command: [script.path, input.versions.flux, String(DEADLINES.fluxSec)],
  };
}
