import * as yaml from "js-yaml";
import hcloudCcmInstallScript from "./scripts/hcloud-ccm-install.sh";
import { K3S_CLUSTER_CIDR } from "../config/defaults";
import type { Fragment } from "./cloud-config";
import type { BootInput } from "./boot-input";
import { DEADLINES, PATHS } from "./paths";
import { base64 } from "./private/base64";
import { scriptFile } from "./private/shell";

/**
 * Release name and namespace of the boot-time install: a later Flux
 * HelmRelease adopts it with `releaseName` set to the name, and both
 * `targetNamespace` and `storageNamespace` set to the namespace (and the
 * same chart, hetznercloud's from https://charts.hetzner.cloud). Without
 * `storageNamespace`, helm-controller looks for the release in the
 * HelmRelease's own namespace and starts a fresh install instead.
 */
export const HCLOUD_CCM_RELEASE = { name: "hcloud-cloud-controller-manager", namespace: "kube-system" } as const;

/** The Secret the chart reads the API token (key `token`) and the network (key `network`) from. */
export const HCLOUD_SECRET = { name: "hcloud", namespace: "kube-system" } as const;

/** An environment variable of the chart's `env` map. */
export interface EnvValue {
  readonly value: string;
}

/** The Helm values of the boot-time install (chart hetznercloud/hcloud-cloud-controller-manager). */
export interface HcloudCcmValues {
  /** With networking the controller runs with hostNetwork and reads HCLOUD_NETWORK from the Secret. */
  readonly networking: { readonly enabled: true; readonly clusterCIDR: string };
  readonly env: {
    /** Where load balancers created for Services go. */
    readonly HCLOUD_LOAD_BALANCERS_LOCATION: EnvValue;
    /** Load balancers reach nodes over the private network. */
    readonly HCLOUD_LOAD_BALANCERS_USE_PRIVATE_IP: EnvValue;
    /** Routes in the private network for each node's pod CIDR. */
    readonly HCLOUD_NETWORK_ROUTES_ENABLED: EnvValue;
  };
}

/** The cloud controller's values for this Sovereign. */
export function hcloudCcmValues(input: BootInput): HcloudCcmValues {
  return {
    // k3s's cluster CIDR (node pod CIDRs come from it; Cilium's ipam mode
    // kubernetes uses them).
    networking: { enabled: true, clusterCIDR: K3S_CLUSTER_CIDR },
    env: {
      HCLOUD_LOAD_BALANCERS_LOCATION: { value: input.sovereign.location },
      // The firewall opens no NodePort on public addresses, and Hetzner
      // firewalls do not filter the private network.
      HCLOUD_LOAD_BALANCERS_USE_PRIVATE_IP: { value: "true" },
      // Cilium tunnels pod traffic (VXLAN between node IPs, cilium.ts), so
      // routes in the network would carry nothing; the route controller
      // would also write each node's NetworkUnavailable condition, which
      // Cilium owns. Native routing would need these routes.
      HCLOUD_NETWORK_ROUTES_ENABLED: { value: "false" },
    },
  };
}

/** An Opaque Secret whose values arrive base64-encoded. */
export interface OpaqueSecret {
  readonly apiVersion: "v1";
  readonly kind: "Secret";
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly type: "Opaque";
  readonly data: { readonly token: string; readonly network: string };
}

/**
 * kube-system/hcloud. Values go in `data`, base64: a network id is digits,
 * which YAML would read as a number where a Secret needs a string.
 */
export function hcloudSecret(input: BootInput): OpaqueSecret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { ...HCLOUD_SECRET },
    type: "Opaque",
    data: { token: base64(input.runtime.hcloudCcmToken), network: base64(input.runtime.networkId) },
  };
}

/**
 * First server only, with cloudController hcloud, after Cilium (the
 * controller runs with host networking, but its pod does not tolerate a
 * node that is not Ready, and nodes are Ready only once the CNI runs) and
 * before anything that must be scheduled: kubelet taints every node
 * uninitialized until a cloud controller initialises it. Applies the Secret (its file,
 * 0600 and base64-delivered, is removed whatever happens), installs the
 * pinned, checksum-verified chart with the Helm of the cilium step, and
 * waits until server 1's node has its hcloud:// provider ID.
 */
export function hcloudCcmStep(input: BootInput): Fragment | undefined {
  if (input.sovereign.cloudController !== "hcloud") return undefined;
  const script = scriptFile("hcloud-ccm-install.sh", hcloudCcmInstallScript);
  const { hcloudCcm } = input.versions;
  return {
    step: "hcloud-ccm",
    files: [
      { path: PATHS.hcloudCcmValues, content: yaml.dump(hcloudCcmValues(input), { lineWidth: -1 }), permissions: "0644" },
      { path: PATHS.hcloudSecret, content: yaml.dump(hcloudSecret(input), { lineWidth: -1 }), permissions: "0600", runtime: true, removeOnFailure: true },
      script,
    ],
    command: [script.path, PATHS.hcloudSecret, hcloudCcm.version, hcloudCcm.chartSha256, input.nodeName, String(DEADLINES.hcloudCcmSec)],
  };
}
