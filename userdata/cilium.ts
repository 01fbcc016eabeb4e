import * as yaml from "js-yaml";
import ciliumInstallScript from "./scripts/cilium-install.sh";
import type { Fragment } from "./cloud-config";
import type { BootInput } from "./boot-input";
import { DEADLINES, PATHS } from "./paths";
import { scriptFile } from "./private/shell";

/**
 * Address every node reaches the API server at: k3s listens on
 * 127.0.0.1:6444 on every node, the API server itself on servers and k3s's
 * client-side load balancer (which follows all servers) on agents. The
 * reference's 127.0.0.1:6443 exists only on servers, so Cilium on workers
 * could never start.
 */
export const NODE_LOCAL_API = { host: "127.0.0.1", port: 6444 } as const;

/**
 * The boot-time Helm release. The GitOps repository's Cilium HelmRelease
 * adopts it (helm-controller upgrades a release it finds but did not make)
 * when it uses this release name, this target namespace, and this namespace
 * as its Helm storage namespace (helm-controller stores releases in the
 * HelmRelease's own namespace unless told otherwise, and would then install
 * a second release over the same objects).
 */
export const CILIUM_RELEASE = { name: "cilium", namespace: "kube-system" } as const;

/** MTU of Hetzner Cloud private networks. */
export const HETZNER_PRIVATE_NETWORK_MTU = 1450;

/** The Helm values of the bootstrap Cilium install (the GitOps tree adopts the release later). */
export interface CiliumValues {
  readonly kubeProxyReplacement: boolean;
  readonly MTU: number;
  readonly k8sServiceHost: string;
  readonly k8sServicePort: number;
  readonly ipam: { readonly mode: "kubernetes" };
  readonly routingMode: "tunnel";
  readonly tunnelProtocol: "vxlan";
  readonly bpf: { readonly masquerade: boolean };
  readonly operator: { readonly replicas: number };
}

/** Cilium's values for this Sovereign. */
export function ciliumValues(input: BootInput): CiliumValues {
  return {
    kubeProxyReplacement: true,
    // Hetzner's private network carries 1450-byte packets; Cilium would
    // otherwise size its VXLAN tunnel from the 1500-byte public interface.
    MTU: HETZNER_PRIVATE_NETWORK_MTU,
    k8sServiceHost: NODE_LOCAL_API.host,
    k8sServicePort: NODE_LOCAL_API.port,
    ipam: { mode: "kubernetes" },
    routingMode: "tunnel",
    tunnelProtocol: "vxlan",
    bpf: { masquerade: true },
    // Two operators need two nodes; a solo Sovereign without workers has one.
    operator: { replicas: input.sovereign.controlPlane.ha || input.sovereign.workers.count > 0 ? 2 : 1 },
  };
}

/**
 * The values the GitOps side's Cilium release must keep, flattened to
 * dotted keys: changing any of them on a running cluster cuts pod or API
 * traffic (the README's GitOps section says why for each). The operator's
 * replica count may change freely.
 */
export function ciliumValuesToKeep(values: CiliumValues): Record<string, string | number | boolean> {
  return {
    kubeProxyReplacement: values.kubeProxyReplacement,
    k8sServiceHost: values.k8sServiceHost,
    k8sServicePort: values.k8sServicePort,
    MTU: values.MTU,
    "ipam.mode": values.ipam.mode,
    routingMode: values.routingMode,
    tunnelProtocol: values.tunnelProtocol,
    "bpf.masquerade": values.bpf.masquerade,
  };
}

/**
 * First server only: Cilium, the CNI, installed once with a pinned,
 * checksum-verified Helm and chart; waits for its DaemonSet with a deadline.
 */
export function ciliumStep(input: BootInput): Fragment {
  const script = scriptFile("cilium-install.sh", ciliumInstallScript);
  const { helm, cilium } = input.versions;
  return {
    step: "cilium",
    files: [
      { path: PATHS.ciliumValues, content: yaml.dump(ciliumValues(input), { lineWidth: -1 }), permissions: "0644" },
      script,
    ],
    command: [script.path, helm.version, helm.sha256Amd64, helm.sha256Arm64, cilium.version, cilium.chartSha256, String(DEADLINES.ciliumSec)],
  };
}
