import { Construct } from "constructs";
import { PlacementGroup } from "../.gen/providers/hcloud/placement-group";
import type { LoadBalancerTargetA as LoadBalancerTarget } from "../.gen/providers/hcloud/load-balancer-target";
import type { Server } from "../.gen/providers/hcloud/server";
import { CONTROL_PLANE_PRIVATE_IPS } from "../config/defaults";
import { ServerContext, checkServerType, sovereignServer } from "./private/sovereign-server";

/** Props of {@link SovereignControlPlane}. */
export interface SovereignControlPlaneProps extends ServerContext {
  /** Server type (cx, cpx, ccx or cax family). */
  readonly serverType: string;
  /**
   * Three servers forming one etcd cluster instead of one.
   * @default false
   */
  readonly ha?: boolean;
}

/**
 * The k3s servers: one, or three with `ha`, in a spread placement group (on
 * different physical hosts), at 10.0.1.2-.4. Server 1 starts etcd; servers
 * 2 and 3 join it through the load balancer's private IP, and only after
 * server 1 and its load balancer target exist. All are load balancer targets.
 */
export class SovereignControlPlane extends Construct {
  /** The servers, server 1 first. */
  public readonly servers: readonly Server[];
  /** Their private IPs, in the same order. */
  public readonly privateIps: readonly string[];
  /** The spread placement group. */
  public readonly placementGroup: PlacementGroup;

  constructor(scope: Construct, id: string, props: SovereignControlPlaneProps) {
    super(scope, id);
    checkServerType(this, props.serverType, "cx43");
    const count = props.ha ? 3 : 1;
    const names = props.sovereign.names;
    this.placementGroup = new PlacementGroup(this, "PlacementGroup", { name: names.controlPlanePlacementGroup, type: "spread" });
    this.privateIps = CONTROL_PLANE_PRIVATE_IPS.slice(0, count);
    const servers: Server[] = [];
    let firstTarget: LoadBalancerTarget | undefined;
    for (let i = 0; i < count; i++) {
      const first = i === 0;
      const server = sovereignServer(this, `Server${i + 1}`, props, {
        name: names.controlPlaneServers[i],
        role: first ? "first-server" : "joining-server",
        serverType: props.serverType,
        privateIp: this.privateIps[i],
        placementGroupId: this.placementGroup.id,
        // Joining servers reach server 1 through the load balancer: both must exist first.
        dependsOn: first ? [props.loadBalancer.networkAttachment] : [servers[0], firstTarget!],
      });
      const target = props.loadBalancer.addServerTarget(`ControlPlane${i + 1}`, server);
      if (first) firstTarget = target;
      servers.push(server);
    }
    this.servers = servers;
  }
}
