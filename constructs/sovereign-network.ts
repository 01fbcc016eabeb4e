import { Token } from "cdktf";
import { Construct } from "constructs";
import { Network } from "../.gen/providers/hcloud/network";
import { NetworkSubnet } from "../.gen/providers/hcloud/network-subnet";
import { LOCATIONS, Location, NETWORK_CIDR, NETWORK_ZONE_BY_LOCATION, SUBNET_CIDR } from "../config/defaults";
import { ConstructPropError } from "../config/errors";
import { checkResourceName } from "../config/names";

/** Props of {@link SovereignNetwork}. */
export interface SovereignNetworkProps {
  /** Name of the network (a Sovereign's is `names.network`, config/names.ts). */
  readonly name: string;
  /** Hetzner location; picks the subnet's network zone. */
  readonly location: Location;
  /**
   * Delete protection on the network.
   * @default false
   */
  readonly deleteProtection?: boolean;
}

/** The Sovereign's private network: 10.0.0.0/16 with one cloud subnet, 10.0.1.0/24, in the location's zone. */
export class SovereignNetwork extends Construct {
  /** The hcloud_network. */
  public readonly network: Network;
  /** The cloud subnet every server and the load balancer attach to. */
  public readonly subnet: NetworkSubnet;
  /** Network zone of the subnet (eu-central, us-east, us-west, ap-southeast). */
  public readonly networkZone: string;
  /** IP range of the subnet. */
  public readonly subnetCidr: string = SUBNET_CIDR;

  constructor(scope: Construct, id: string, props: SovereignNetworkProps) {
    super(scope, id);
    const zone = (NETWORK_ZONE_BY_LOCATION as Record<string, string>)[props.location];
    if (!zone) throw new ConstructPropError(this.node.path, "location", `is ${JSON.stringify(props.location)}; allowed: ${LOCATIONS.join(", ")}`);
    this.networkZone = zone;
    const nameProblem = checkResourceName(props.name);
    if (nameProblem) throw new ConstructPropError(this.node.path, "name", `is invalid: ${nameProblem}`);
    this.network = new Network(this, "Resource", {
      name: props.name,
      ipRange: NETWORK_CIDR,
      deleteProtection: props.deleteProtection ?? false,
    });
    this.subnet = new NetworkSubnet(this, "CloudSubnet", {
      networkId: Token.asNumber(this.network.id),
      type: "cloud",
      networkZone: zone,
      ipRange: SUBNET_CIDR,
    });
  }
}
