import * as yaml from "js-yaml";
import k3sInstallScript from "./scripts/k3s-install.sh";
import { LABEL_ROLE } from "../config/defaults";
import type { Fragment } from "./cloud-config";
import type { BootInput } from "./boot-input";
import { DEADLINES, PATHS } from "./paths";
import { scriptFile } from "./private/shell";

/** The keys of /etc/rancher/k3s/config.yaml this project sets (k3s CLI flags without `--`). */
export interface K3sConfig {
  readonly token: string;
  /** Servers only: the token agents join with. */
  readonly "agent-token"?: string;
  readonly "node-ip": string;
  /** The Hetzner server name, so the cloud controller finds the server behind each node (cloudController: hcloud). */
  readonly "node-name"?: string;
  readonly "node-label": readonly string[];
  /** kubelet flags; cloud-provider=external makes kubelet wait for the cloud controller (cloudController: hcloud). */
  readonly "kubelet-arg"?: readonly string[];
  /** Join address; absent on the first server. */
  readonly server?: string;
  /** Start a new embedded etcd: only the first server. */
  readonly "cluster-init"?: boolean;
  readonly "tls-san"?: readonly string[];
  readonly "flannel-backend"?: "none";
  readonly "disable-network-policy"?: boolean;
  readonly disable?: readonly string[];
  readonly "disable-kube-proxy"?: boolean;
  /** Servers only: leave node initialisation to Hetzner's cloud controller (cloudController: hcloud). */
  readonly "disable-cloud-controller"?: boolean;
  readonly "write-kubeconfig-mode"?: string;
  readonly "kube-apiserver-arg"?: readonly string[];
}

/** Port of the Kubernetes API (and k3s's supervisor) on servers and the load balancer. */
export const API_PORT = 6443;

/** Where servers 2-3 and agents join: the load balancer's private IP, which survives the loss of server 1. */
export function joinUrl(input: BootInput): string {
  return `https://${input.loadBalancerPrivateIp}:${API_PORT}`;
}

/** k3s's configuration of one server, as a typed object. */
export function k3sConfig(input: BootInput): K3sConfig {
  const s = input.sovereign;
  const role = input.role === "agent" ? "worker" : "control-plane";
  const hcloud = s.cloudController === "hcloud";
  const base = {
    // Agents hold only the agent token: a compromised worker cannot join a
    // server and read the cluster's CA and etcd keys.
    token: input.role === "agent" ? input.runtime.agentToken : input.runtime.clusterToken,
    "node-ip": input.privateIp,
    // Hetzner's cloud controller looks a node's server up by its name.
    ...(hcloud ? { "node-name": input.nodeName } : {}),
    "node-label": [`${LABEL_ROLE}=${role}`],
    // k3s passes cloud-provider=external to kubelet only while its own
    // cloud controller runs; without it kubelet never taints the node
    // uninitialized and Hetzner's controller never initialises it.
    ...(hcloud ? { "kubelet-arg": ["cloud-provider=external"] } : {}),
  };
  if (input.role === "agent") return { ...base, server: joinUrl(input) };
  // Server-only flags must agree on every server of the cluster.
  return {
    ...base,
    ...(input.role === "first-server" ? { "cluster-init": true } : { server: joinUrl(input) }),
    "agent-token": input.runtime.agentToken,
    // The posted kubeconfig names the load balancer's public IP, servers and
    // agents join through its private IP: both must be in the certificate.
    "tls-san": [s.fqdn, input.runtime.loadBalancerPublicIpv4, input.loadBalancerPrivateIp],
    "flannel-backend": "none",
    "disable-network-policy": true,
    disable: ["traefik", "servicelb", ...(s.k3s.localStorage ? [] : ["local-storage"])],
    // Cilium replaces kube-proxy (kubeProxyReplacement in cilium.ts).
    "disable-kube-proxy": true,
    // Hetzner's cloud controller (hcloud-ccm.ts) initialises the nodes instead.
    ...(hcloud ? { "disable-cloud-controller": true } : {}),
    "write-kubeconfig-mode": "0600",
  };
}

/**
 * k3s: its config file (mode 0600; it holds the cluster token and the load
 * balancer's address, so it is delivered base64-encoded) and the install of
 * the pinned release by the installer from the same tag. On every role the
 * script first waits for node-ip on the private interface, and counts the
 * install done when the service becomes active within the deadline (see
 * scripts/k3s-install.sh for why the installer's own start is not used).
 */
export function k3sStep(input: BootInput): Fragment {
  const script = scriptFile("k3s-install.sh", k3sInstallScript);
  const role = input.role === "agent" ? "agent" : "server";
  const join = input.role === "first-server" ? [] : [joinUrl(input), String(DEADLINES.joinSec)];
  return {
    step: "k3s",
    files: [
      { path: PATHS.k3sConfig, content: yaml.dump(k3sConfig(input), { lineWidth: -1, noRefs: true }), permissions: "0600", runtime: true },
      script,
    ],
    command: [script.path, input.versions.k3s, role, input.privateIp, String(DEADLINES.k3sStartSec), ...join],
  };
}
