import postbackScript from "./scripts/kubeconfig-postback.sh";
import type { Fragment } from "./cloud-config";
import type { BootInput } from "./boot-input";
import { DEADLINES, PATHS } from "./paths";
import { scriptFile } from "./private/shell";

/** /etc/catalyst/postback.json: what the postback script reads. */
export interface PostbackSettings {
  readonly apiUrl: string;
  readonly deploymentId: string;
  readonly loadBalancerIpv4: string;
}

/**
 * First server only, when the Sovereign file has a `postback` block: PUT
 * the kubeconfig (server URL rewritten to the load balancer) to the
 * provisioning API with the one-time bearer. The bearer and settings are
 * 0600 files; the step runner removes the bearer file once the API has the
 * kubeconfig (it is the step's secret file). Returns no fragment when
 * postback is off.
 */
export function kubeconfigPostbackStep(input: BootInput): Fragment | undefined {
  const postback = input.sovereign.postback;
  if (!postback) return undefined;
  // Shipped without its header (about 950 bytes of the first server's
  // capped user data): the README's troubleshooting section lists the
  // overrides an operator re-sending by hand may need.
  const script = scriptFile("kubeconfig-postback.sh", postbackScript);
  const settings: PostbackSettings = {
    apiUrl: postback.apiUrl.replace(/\/+$/, ""),
    deploymentId: postback.deploymentId,
    loadBalancerIpv4: input.runtime.loadBalancerPublicIpv4,
  };
  return {
    step: "kubeconfig-postback",
    files: [
      { path: PATHS.postbackSettings, content: `${JSON.stringify(settings, null, 2)}\n`, permissions: "0600", runtime: true },
      { path: PATHS.postbackBearer, content: `${input.runtime.kubeconfigBearerToken}\n`, permissions: "0600", runtime: true, removeOnFailure: true },
      script,
    ],
    command: ["env", `POSTBACK_DEADLINE_SEC=${DEADLINES.postbackSec}`, script.path],
  };
}
