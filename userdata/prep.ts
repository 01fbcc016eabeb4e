import prepScript from "./scripts/prep.sh";
import type { Fragment } from "./cloud-config";
import { scriptFile } from "./private/shell";

/** Packages every server installs. */
export const BASE_PACKAGES = ["curl", "iptables", "jq", "ca-certificates", "git"] as const;

/** Host preparation: base packages, swap off, iptables-legacy, sshd reload. */
export function prepStep(): Fragment {
  const script = scriptFile("prep.sh", prepScript);
  return {
    step: "prep",
    packages: BASE_PACKAGES,
    files: [script],
    command: [script.path],
  };
}

