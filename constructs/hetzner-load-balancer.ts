import { Token } from "cdktf";
import { Construct } from "constructs";
import { LoadBalancer } from "../.gen/providers/hcloud/load-balancer";
import { LoadBalancerNetwork } from "../.gen/providers/hcloud/load-balancer-network";
import { LoadBalancerService } from "../.gen/providers/hcloud/load-balancer-service";
import { LoadBalancerTargetA as LoadBalancerTarget } from "../.gen/providers/hcloud/load-balancer-target";
import type { Server } from "../.gen/providers/hcloud/server";
import { DEFAULT_LOAD_BALANCER_TYPE, LOAD_BALANCER_PRIVATE_IP, LOAD_BALANCER_TYPES, Location } from "../config/defaults";
import { ipv4ToNumber, parseIPv4 } from "../config/checks";
import { ConstructPropError } from "../config/errors";
import { checkResourceName } from "../config/names";
import type { SovereignNetwork } from "./sovereign-network";

/** One TCP service of the load balancer and how its targets' health is checked. */
export interface LoadBalancerServiceSpec {
  readonly listenPort: number;
  readonly destinationPort: number;
  /**
   * Health check: an open TCP port, or an HTTPS GET answered with 200. An
   * HTTP check names the Host it sends (`domain`): without it the checker's
   * request carries no usable Host, and Go's HTTP servers (the Kubernetes API
   * among them) answer an HTTP/1.1 request without Host with 400.
   */
  readonly healthCheck: { readonly kind: "tcp" } | { readonly kind: "https"; readonly path: string; readonly domain: string };
}

/**
 * The services of a Sovereign: HTTP and HTTPS to Cilium's Gateway NodePorts,
 * and the Kubernetes API.
 *
 * The API's check is TCP, as kube-hetzner's and hetzner-k3s's are. An HTTPS
 * GET of /readyz cannot pass on k3s: the request needs a Host (`domain`, see
 * above), k3s starts kube-apiserver with anonymous-auth=false
 * (k3s-io/k3s pkg/daemons/control/server.go) so an unauthenticated /readyz
 * gets 401, and the serving certificate is signed by the cluster's own CA,
 * which the checker does not know. A target that failed its check would get
 * no API traffic, and servers 2-3 and the agents join through this service.
 * Whether k3s is ready is checked on the server itself (the api-ready step).
 */
export const SOVEREIGN_LB_SERVICES: readonly LoadBalancerServiceSpec[] = [
  { listenPort: 80, destinationPort: 31080, healthCheck: { kind: "tcp" } },
  { listenPort: 443, destinationPort: 31443, healthCheck: { kind: "tcp" } },
  { listenPort: 6443, destinationPort: 6443, healthCheck: { kind: "tcp" } },
];

/** Props of {@link HetznerLoadBalancer}. */
export interface HetznerLoadBalancerProps {
  /** Name of the load balancer (a Sovereign's is `names.loadBalancer`, config/names.ts). */
  readonly name: string;
  readonly location: Location;
  /** Network to attach to, at `privateIp`. */
  readonly network: SovereignNetwork;
  /**
   * Load balancer type.
   * @default "lb11"
   */
  readonly loadBalancerType?: string;
  /**
   * Fixed private IP inside the network's subnet; servers join the cluster
   * through it, so it must never change.
   * @default "10.0.1.5"
   */
  readonly privateIp?: string;
  /**
   * Services and health checks.
   * @default SOVEREIGN_LB_SERVICES
   */
  readonly services?: readonly LoadBalancerServiceSpec[];
  /**
   * Delete protection.
   * @default false
   */
  readonly deleteProtection?: boolean;
}

/** A round-robin Hetzner load balancer on the Sovereign's network, targeting servers over their private IPs. */
export class HetznerLoadBalancer extends Construct {
  /** The hcloud_load_balancer. */
  public readonly loadBalancer: LoadBalancer;
  /** Its attachment to the network. */
  public readonly networkAttachment: LoadBalancerNetwork;
  /** Public IPv4 (a token until apply). */
  public readonly publicIpv4: string;
  /** Fixed private IP. */
  public readonly privateIp: string;
  private readonly targets: Construct;

  constructor(scope: Construct, id: string, props: HetznerLoadBalancerProps) {
    super(scope, id);
    const nameProblem = checkResourceName(props.name);
    if (nameProblem) throw new ConstructPropError(this.node.path, "name", `is invalid: ${nameProblem}`);
    const type = props.loadBalancerType ?? DEFAULT_LOAD_BALANCER_TYPE;
    if (!(LOAD_BALANCER_TYPES as readonly string[]).includes(type)) {
      throw new ConstructPropError(this.node.path, "loadBalancerType", `is ${JSON.stringify(type)}; allowed: ${LOAD_BALANCER_TYPES.join(", ")}`);
    }
    this.privateIp = props.privateIp ?? LOAD_BALANCER_PRIVATE_IP;
    if (!inSubnet(this.privateIp, props.network.subnetCidr)) {
      throw new ConstructPropError(this.node.path, "privateIp", `is ${JSON.stringify(this.privateIp)}; it must be inside the subnet ${props.network.subnetCidr}`);
    }
    this.loadBalancer = new LoadBalancer(this, "Resource", {
      name: props.name,
      loadBalancerType: type,
      location: props.location,
      algorithm: { type: "round_robin" },
      deleteProtection: props.deleteProtection ?? false,
    });
    this.publicIpv4 = this.loadBalancer.ipv4;
    this.networkAttachment = new LoadBalancerNetwork(this, "Network", {
      loadBalancerId: Token.asNumber(this.loadBalancer.id),
      subnetId: props.network.subnet.id,
      ip: this.privateIp,
    });

    const services = new Construct(this, "Services");
    for (const spec of props.services ?? SOVEREIGN_LB_SERVICES) {
      new LoadBalancerService(services, `Tcp${spec.listenPort}`, {
        loadBalancerId: this.loadBalancer.id,
        protocol: "tcp",
        listenPort: spec.listenPort,
        destinationPort: spec.destinationPort,
        healthCheck: {
          protocol: spec.healthCheck.kind === "tcp" ? "tcp" : "http",
          port: spec.destinationPort,
          interval: 10,
          timeout: 5,
          retries: 3,
          ...(spec.healthCheck.kind === "https" ? { http: { domain: spec.healthCheck.domain, path: spec.healthCheck.path, tls: true, statusCodes: ["200"] } } : {}),
        },
      });
    }
    this.targets = new Construct(this, "Targets");
  }

  /** Sends traffic to `server` over its private IP (the load balancer must share its network). */
  public addServerTarget(id: string, server: Server): LoadBalancerTarget {
    return new LoadBalancerTarget(this.targets, id, {
      loadBalancerId: Token.asNumber(this.loadBalancer.id),
      type: "server",
      serverId: Token.asNumber(server.id),
      usePrivateIp: true,
      dependsOn: [this.networkAttachment],
    });
  }
}

function inSubnet(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/");
  const address = parseIPv4(ip);
  if (address === undefined) return false;
  const offset = Number(address) - ipv4ToNumber(base);
  // Exclude the network address, Hetzner's gateway (.1) and the broadcast address.
  return offset > 1 && offset < 2 ** (32 - Number(bits)) - 1;
}
