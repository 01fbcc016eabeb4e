/**
 * The cloud-config of one server: its role's boot steps, composed in order.
 *
 * every server:  step-runner, prep, hardening, sovereign-json, k3s
 * first server:  + api-ready, kubeconfig-postback (with postback), cilium,
 *                  metadata-policy, hcloud-ccm (cloudController hcloud),
 *                  default-storage-class (with k3s.localStorage), flux,
 *                  pull-secret (with registry.pullSecret), flux-bootstrap
 * every server:  complete
 *
 * README's troubleshooting section lists the steps with a command (those
 * the step runner marks), in this order; a test keeps the two in step.
 */
import type { BootInput } from "./boot-input";
import { CloudConfig, Fragment, composeCloudConfig } from "./cloud-config";
import { apiReadyStep } from "./api-ready";
import { ciliumStep } from "./cilium";
import { completeStep } from "./complete";
import { defaultStorageClassStep } from "./default-storage-class";
import { fluxStep } from "./flux";
import { fluxBootstrapStep } from "./flux-bootstrap";
import { hardeningStep } from "./hardening";
import { hcloudCcmStep } from "./hcloud-ccm";
import { k3sStep } from "./k3s";
import { kubeconfigPostbackStep } from "./kubeconfig-postback";
import { metadataPolicyStep } from "./metadata-policy";
import { PATHS } from "./paths";
import { prepStep } from "./prep";
import { pullSecretStep } from "./pull-secret";
import { sovereignJsonStep } from "./sovereign-json";
import { stepRunnerStep } from "./step-runner";

/** The boot steps of a server, in the order they run. */
export function nodeSteps(input: BootInput): Fragment[] {
  const steps: (Fragment | undefined)[] = [stepRunnerStep(), prepStep(), hardeningStep(input), sovereignJsonStep(input), k3sStep(input)];
  if (input.role === "first-server") {
    // The metadata policy comes first after Cilium: once the cloud controller
    // initialises the node, pods get scheduled, and none may precede it.
    steps.push(apiReadyStep(), kubeconfigPostbackStep(input), ciliumStep(input), metadataPolicyStep(), hcloudCcmStep(input));
    steps.push(defaultStorageClassStep(input), fluxStep(input), pullSecretStep(input), fluxBootstrapStep(input));
  }
  steps.push(completeStep());
  return steps.filter((s): s is Fragment => s !== undefined);
}

/** Message cloud-init logs at the end of its run (cloud-init substitutes $UPTIME). */
export function finalMessage(input: BootInput): string {
  const what = input.role === "agent" ? "worker" : "control-plane";
  return `Catalyst ${what} boot of ${input.sovereign.fqdn} ended after $UPTIME s; succeeded if ${PATHS.complete} exists`;
}

/** The typed cloud-config of one server. */
export function nodeCloudConfig(input: BootInput): CloudConfig {
  return composeCloudConfig(nodeSteps(input), { stepRunner: PATHS.stepRunnerCommand, stepManifest: PATHS.stepManifest, finalMessage: finalMessage(input) });
}
