/**
 * What every boot step is a pure function of: the validated Sovereign, the
 * server's role and addresses, and the values known only at apply time
 * (cdktf tokens in synthesis, literal stand-ins in size checks and tests).
 */
import type { Sovereign } from "../config/load";
import type { Versions } from "./versions";

/** The part a server plays in the cluster. */
export type NodeRole =
  /** Control-plane server 1: starts etcd (cluster-init) and bootstraps the cluster once. */
  | "first-server"
  /** Control-plane servers 2 and 3: join server 1's etcd through the load balancer. */
  | "joining-server"
  /** Workers: k3s agents. */
  | "agent";

/** All roles, in boot order. */
export const NODE_ROLES: readonly NodeRole[] = ["first-server", "joining-server", "agent"];

/** Values a server's cloud-init needs that exist only once Terraform applies. */
export interface RuntimeValues {
  /** Load balancer public IPv4 (hcloud_load_balancer.ipv4). */
  readonly loadBalancerPublicIpv4: string;
  /** k3s server token (random_password.result): letters and digits only. */
  readonly clusterToken: string;
  /** k3s agent token (a second random_password): all agents hold. */
  readonly agentToken: string;
  /** var.ghcr_pull_token. */
  readonly ghcrPullToken: string;
  /** var.kubeconfig_bearer_token. */
  readonly kubeconfigBearerToken: string;
  /** The cloud controller's API token: var.hcloud_ccm_token, or var.hcloud_token when that is empty. */
  readonly hcloudCcmToken: string;
  /** The private network's id (hcloud_network.id), which the cloud controller attaches load balancers to. */
  readonly networkId: string;
}

/** Input of every boot step. */
export interface BootInput {
  readonly sovereign: Sovereign;
  readonly role: NodeRole;
  /** This server's Hetzner name: its Kubernetes node name, so the cloud controller finds the server by it. */
  readonly nodeName: string;
  /** This server's fixed private IP in the cloud subnet. */
  readonly privateIp: string;
  /** The load balancer's fixed private IP: the join address that survives server 1's loss. */
  readonly loadBalancerPrivateIp: string;
  readonly versions: Versions;
  readonly runtime: RuntimeValues;
}

/** The longest value each runtime value can take, for the user-data size budget. */
export const RUNTIME_STAND_INS_MAX: RuntimeValues = {
  loadBalancerPublicIpv4: "255.255.255.255",
  clusterToken: "T".repeat(64),
  agentToken: "A".repeat(64),
  ghcrPullToken: "G".repeat(255),
  kubeconfigBearerToken: "b".repeat(64),
  hcloudCcmToken: "H".repeat(64),
  // Hetzner ids are int64: at most 19 digits.
  networkId: "9".repeat(19),
};
