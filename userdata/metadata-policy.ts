import * as yaml from "js-yaml";
import applyAfterCrdScript from "./scripts/apply-after-crd.sh";
import type { Fragment } from "./cloud-config";
import { DEADLINES, PATHS } from "./paths";
import { scriptFile } from "./private/shell";

/** Hetzner's metadata service: it serves the server's user data (tokens included) to whatever asks from that server. */
export const METADATA_SERVICE_CIDR = "169.254.169.254/32";

/** Name of the policy, for the GitOps tree that may adopt it. */
export const METADATA_POLICY_NAME = "catalyst-deny-metadata-service";

/** The CRD the policy needs; the Cilium operator registers it after Cilium is installed. */
export const CCNP_CRD = "ciliumclusterwidenetworkpolicies.cilium.io";

/** Cilium's label for a pod's namespace. */
export const NAMESPACE_LABEL = "io.kubernetes.pod.namespace";

/**
 * Pods that read the metadata service on purpose and may keep doing so:
 * Hetzner's CSI node plugin takes its server id and location from it
 * (hetznercloud/csi-driver issues #318 and #404), and its chart labels its
 * node pods so. Only pods in this namespace carrying all these labels are
 * exempt; creating pods in kube-system already gives access to its Secrets,
 * the cloud controller's token among them, so the exemption grants nothing new.
 * The cloud controller reads the service only with networking on (to check
 * the node is in the network), and then runs with host networking, which
 * such a policy does not reach.
 */
export const METADATA_SERVICE_EXEMPT = {
  namespace: "kube-system",
  labels: { "app.kubernetes.io/name": "hcloud-csi", "app.kubernetes.io/component": "node" },
} as const;

/** A Kubernetes label selector requirement. */
export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  readonly values?: readonly string[];
}

/** Cilium's EndpointSelector: a Kubernetes label selector over an endpoint's labels. */
export interface EndpointSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

/** One rule of a Cilium policy (cilium.io/v2 Rule), limited to what this policy uses. */
export interface CiliumPolicyRule {
  readonly description: string;
  readonly endpointSelector: EndpointSelector;
  readonly egressDeny: readonly { readonly toCIDR: readonly string[] }[];
  /** Cilium >= 1.16 (cilium/cilium#30572): whether selecting an endpoint switches it to default-deny. */
  readonly enableDefaultDeny: { readonly egress: boolean; readonly ingress: boolean };
}

/** cilium.io/v2 CiliumClusterwideNetworkPolicy with a list of rules. */
export interface CiliumClusterwideNetworkPolicy {
  readonly apiVersion: "cilium.io/v2";
  readonly kind: "CiliumClusterwideNetworkPolicy";
  readonly metadata: { readonly name: string };
  readonly specs: readonly CiliumPolicyRule[];
}

/**
 * Selectors whose union is every endpoint except those in `namespace` that
 * carry all of `labels`. One selector's requirements all have to hold (an
 * AND), so the complement takes one selector per way of not being exempt:
 * outside the namespace; or inside it without the first label; or with
 * the first but without the second; and so on. NotIn also matches an
 * endpoint that lacks the label (Kubernetes label-selector semantics).
 * The selectors do not overlap.
 */
export function allExceptSelectors(namespace: string, labels: Readonly<Record<string, string>>): EndpointSelector[] {
  const selectors: EndpointSelector[] = [{ matchExpressions: [{ key: NAMESPACE_LABEL, operator: "NotIn", values: [namespace] }] }];
  const held: LabelSelectorRequirement[] = [{ key: NAMESPACE_LABEL, operator: "In", values: [namespace] }];
  for (const [key, value] of Object.entries(labels)) {
    selectors.push({ matchExpressions: [...held, { key, operator: "NotIn", values: [value] }] });
    held.push({ key, operator: "In", values: [value] });
  }
  return selectors;
}

/**
 * Denies pod egress to the metadata service, except for the exempt pods.
 * A rule with only egressDeny would, by Cilium's default, also switch every
 * selected pod to default-deny egress (Cilium docs, security/policy/intro:
 * "Endpoint default policy"), cutting all their traffic; enableDefaultDeny
 * false keeps everything else as it was. The host and host-network pods are
 * not endpoints such a rule selects: cloud-init keeps its datasource.
 */
export function metadataDenyPolicy(): CiliumClusterwideNetworkPolicy {
  const { namespace, labels } = METADATA_SERVICE_EXEMPT;
  return {
    apiVersion: "cilium.io/v2",
    kind: "CiliumClusterwideNetworkPolicy",
    metadata: { name: METADATA_POLICY_NAME },
    specs: allExceptSelectors(namespace, labels).map((endpointSelector) => ({
      description: "Pods may not read the metadata service (it serves the user data and its tokens).",
      endpointSelector,
      egressDeny: [{ toCIDR: [METADATA_SERVICE_CIDR] }],
      enableDefaultDeny: { egress: false, ingress: false },
    })),
  };
}

/**
 * First server only, right after Cilium and before anything is scheduled:
 * wait, with a deadline, for the policy CRD, then apply the policy with
 * strict field validation, so a Cilium without enableDefaultDeny refuses
 * the policy instead of dropping the field and cutting all pod egress.
 */
export function metadataPolicyStep(): Fragment {
  const script = scriptFile("apply-after-crd.sh", applyAfterCrdScript);
  return {
    step: "metadata-policy",
    files: [{ path: PATHS.metadataPolicy, content: yaml.dump(metadataDenyPolicy(), { lineWidth: -1, noRefs: true }), permissions: "0644", compress: true }, script],
    command: [script.path, CCNP_CRD, PATHS.metadataPolicy, String(DEADLINES.ciliumCrdSec)],
  };
}
