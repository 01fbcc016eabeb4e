/**
 * Every default and pinned version of a Sovereign, one named constant each.
 * The Sovereign file may override the ones it exposes; nothing else does.
 */

/** Hetzner locations and the network zone each belongs to. */
export const NETWORK_ZONE_BY_LOCATION = {
  fsn1: "eu-central",
  nbg1: "eu-central",
  hel1: "eu-central",
  ash: "us-east",
  hil: "us-west",
  sin: "ap-southeast",
} as const;

/** A Hetzner Cloud location this project can deploy to. */
export type Location = keyof typeof NETWORK_ZONE_BY_LOCATION;

/** All locations, in the order users see them in errors and docs. */
export const LOCATIONS = Object.keys(NETWORK_ZONE_BY_LOCATION) as Location[];

/** Locations in the EU, the only ones with the cx (shared Intel) and cax (Arm) families. */
export const EU_LOCATIONS: readonly Location[] = ["fsn1", "nbg1", "hel1"];

/**
 * Server types when the file names none: cx in the EU, cpx elsewhere (cx and
 * cax exist only in the EU). The reference's cx42/cx32 were deprecated by
 * Hetzner on 2025-10-16 and can no longer be ordered.
 */
export const DEFAULT_SERVER_TYPES = {
  eu: { controlPlane: "cx43", workers: "cx33" },
  elsewhere: { controlPlane: "cpx42", workers: "cpx32" },
} as const;

/** The default server type of a role in a location. */
export function defaultServerType(location: Location, role: "controlPlane" | "workers"): string {
  return DEFAULT_SERVER_TYPES[EU_LOCATIONS.includes(location) ? "eu" : "elsewhere"][role];
}

/** Server types Hetzner deprecated (2025-10-16) and no longer sells: cx Gen2 and cpx Gen1. */
export const DEPRECATED_SERVER_TYPE = /^(cx[1-5][12]|cpx[1-5]1)$/;

/**
 * The server types Hetzner sells, by family, and the locations that offer
 * them: the one list every server-type check reads. cx and cax exist only in
 * the EU. Checked against Hetzner's announcements of 2025-10 (cx23..cx53 and
 * cpx12..cpx62 replace the deprecated generations); update it here when
 * Hetzner adds or retires a type.
 */
export const SERVER_TYPE_FAMILIES: readonly { readonly family: string; readonly types: readonly string[]; readonly locations: readonly Location[] }[] = [
  { family: "cx", types: ["cx23", "cx33", "cx43", "cx53"], locations: EU_LOCATIONS },
  { family: "cax", types: ["cax11", "cax21", "cax31", "cax41"], locations: EU_LOCATIONS },
  { family: "cpx", types: ["cpx12", "cpx22", "cpx32", "cpx42", "cpx52", "cpx62"], locations: LOCATIONS },
  { family: "ccx", types: ["ccx13", "ccx23", "ccx33", "ccx43", "ccx53", "ccx63"], locations: LOCATIONS },
];

/** Every server type offered in a location, in family order. */
export function serverTypesIn(location: Location): string[] {
  return SERVER_TYPE_FAMILIES.filter((f) => f.locations.includes(location)).flatMap((f) => f.types);
}
/** Load balancer type when the file names none. */
export const DEFAULT_LOAD_BALANCER_TYPE = "lb11";
/** Hetzner load balancer types. */
export const LOAD_BALANCER_TYPES = ["lb11", "lb21", "lb31"] as const;
/** Image of every server. */
export const SERVER_IMAGE = "ubuntu-24.04";

/** Private network of a Sovereign. */
export const NETWORK_CIDR = "10.0.0.0/16";
/** The one cloud subnet all servers and the load balancer live in. */
export const SUBNET_CIDR = "10.0.1.0/24";
/** Private IPs of control-plane servers 1..3. */
export const CONTROL_PLANE_PRIVATE_IPS = ["10.0.1.2", "10.0.1.3", "10.0.1.4"] as const;
/** Private IP of the load balancer (inside the subnet, outside the server ranges). */
export const LOAD_BALANCER_PRIVATE_IP = "10.0.1.5";
/** First worker's private IP; worker n gets .10+n. */
export const FIRST_WORKER_HOST = 10;
/** Largest worker pool. */
export const MAX_WORKERS = 50;
/** Hetzner's limit of servers in one spread placement group. */
export const MAX_SERVERS_PER_SPREAD_GROUP = 10;

/** k3s release installed when the file names none. */
export const DEFAULT_K3S_VERSION = "v1.31.4+k3s1";
/**
 * Flux releases the boot may install, each with the flux2 Helm chart
 * (fluxcd-community/helm-charts, charts/flux2) whose appVersion it is: the
 * GitOps repository's Flux HelmRelease adopts the boot-time Flux, and a
 * chart carrying another Flux fails on CRD storedVersions, rolls back and
 * the rollback deletes every Flux controller. Pairs read from that chart's
 * Chart.yaml history (2.13.0 of 2024-05-13, 2.14.1 of 2024-10-17, 2.15.0 of
 * 2025-02-25, 2.16.4 of 2025-08-08).
 */
export const FLUX_CHART_BY_RELEASE = {
  "v2.3.0": "2.13.0",
  "v2.4.0": "2.14.1",
  "v2.5.1": "2.15.0",
  "v2.6.4": "2.16.4",
} as const;
/** A Flux release the boot may install. */
export type FluxRelease = keyof typeof FLUX_CHART_BY_RELEASE;
/** Flux release whose install manifest is applied (= the GitOps repository's flux2 chart 2.14.1). */
export const DEFAULT_FLUX_VERSION: FluxRelease = "v2.4.0";

/** Who initialises nodes and runs cloud integrations: Hetzner's cloud controller (hcloud) or k3s's built-in one (k3s). */
export const CLOUD_CONTROLLERS = ["hcloud", "k3s"] as const;
/** A cloud controller choice. */
export type CloudController = (typeof CLOUD_CONTROLLERS)[number];
/** Hetzner's: nodes get hcloud://<server id> provider IDs, which load balancers and volumes need. */
export const DEFAULT_CLOUD_CONTROLLER: CloudController = "hcloud";
/** k3s's default pod network (cluster-cidr), from which every node gets its pod CIDR. */
export const K3S_CLUSTER_CIDR = "10.42.0.0/16";

/** GitOps repository every Sovereign's Flux follows when the file names none. */
export const DEFAULT_GITOPS_REPO_URL = "https://github.com/openova-io/openova";
/**
 * How the GitOps repository is laid out: `template`, one shared
 * clusters/_template tree every Sovereign follows with its own values
 * substituted by Flux; `per-fqdn`, a clusters/<fqdn> directory per Sovereign,
 * which must exist in the repository before the Sovereign is provisioned.
 */
export const GITOPS_LAYOUTS = ["template", "per-fqdn"] as const;
/** A GitOps repository layout. */
export type GitopsLayout = (typeof GITOPS_LAYOUTS)[number];
/** Layout when the file names none. */
export const DEFAULT_GITOPS_LAYOUT: GitopsLayout = "template";
/** Branch Flux follows when the file names none. */
export const DEFAULT_GITOPS_BRANCH = "main";
/** Provisioning API that receives the kubeconfig when the file names none. */
export const DEFAULT_POSTBACK_API_URL = "https://console.openova.io/sovereign";
/** Registry the pull Secret is for. */
export const REGISTRY_SERVER = "ghcr.io";
/** User name in the pull Secret when the file names none. */
export const DEFAULT_REGISTRY_USERNAME = "openova-io";

/** Label keys every labelled resource carries. */
export const LABEL_SOVEREIGN = "catalyst.openova.io/sovereign";
/** Label key of a server's role. */
export const LABEL_ROLE = "catalyst.openova.io/role";
