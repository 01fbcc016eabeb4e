import kubectlUntilScript from "../scripts/kubectl-until.sh";
import type { Command, Fragment } from "../cloud-config";
import { scriptFile } from "./shell";

/** The script every wait on the Kubernetes API shares. */
export const KUBECTL_UNTIL_SCRIPT = scriptFile("kubectl-until.sh", kubectlUntilScript);

/**
 * A step that retries `k3s kubectl ARGS` until it succeeds or the deadline
 * passes. Every such step declares the same script file; the composer
 * writes it once.
 */
export function kubectlUntil(step: string, deadlineSec: number, args: readonly string[]): Fragment {
  const command: Command = [KUBECTL_UNTIL_SCRIPT.path, String(deadlineSec), ...args];
  return { step, files: [KUBECTL_UNTIL_SCRIPT], command };
}
