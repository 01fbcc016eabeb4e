import prepScript from "./scripts/prep.sh";
import type { Fragment } from "./cloud-config";
import { scriptPath } from "./paths";
import { scriptFile } from "./private/shell";

/** Packages every server installs. */
export const BASE_PACKAGES = ["curl", "iptables", "jq", "ca-certificates", "git"] as const;

/** Host preparation: base packages, swap off, iptables-legacy, sshd reload. */
export function prepStep(): Fragment {
  const script = scriptPath("prep.sh");
  return {
    step: "prep",
    packages: BASE_PACKAGES,
    files: [scriptFile("prep.sh", prepScript)],
    command: [script],
  };
}

