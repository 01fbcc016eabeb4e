import { Construct } from "constructs";
import { PlacementGroup } from "../.gen/providers/hcloud/placement-group";
import type { Server } from "../.gen/providers/hcloud/server";
import { FIRST_WORKER_HOST, MAX_SERVERS_PER_SPREAD_GROUP, MAX_WORKERS } from "../config/defaults";
import { ConstructPropError } from "../config/errors";
import { ServerContext, checkServerType, sovereignServer } from "./private/sovereign-server";
import type { SovereignControlPlane } from "./sovereign-control-plane";

/** Props of {@link WorkerPool}. */
export interface WorkerPoolProps extends ServerContext {
  /** Server type (cx, cpx, ccx or cax family). */
  readonly serverType: string;
  /** Number of workers, 0 to 50. */
  readonly count: number;
  /** Workers are created after the control plane they join. */
  readonly controlPlane: SovereignControlPlane;
}

/**
 * k3s agents at 10.0.1.10 onwards, in spread placement groups of at most 10
 * servers each (Hetzner's limit), joining through the load balancer.
 */
export class WorkerPool extends Construct {
  /** The workers, in order. */
  public readonly servers: readonly Server[];
  /** Their private IPs, in the same order. */
  public readonly privateIps: readonly string[];
  /** The placement groups, one per 10 workers. */
  public readonly placementGroups: readonly PlacementGroup[];

  constructor(scope: Construct, id: string, props: WorkerPoolProps) {
    super(scope, id);
    if (!Number.isInteger(props.count) || props.count < 0 || props.count > MAX_WORKERS) {
      throw new ConstructPropError(this.node.path, "count", `is ${props.count}; allowed: a whole number from 0 to ${MAX_WORKERS}`);
    }
    checkServerType(this, props.serverType, "cx33");
    const names = props.sovereign.names;
    const groups: PlacementGroup[] = [];
    for (let g = 0; g * MAX_SERVERS_PER_SPREAD_GROUP < props.count; g++) {
      groups.push(new PlacementGroup(this, `PlacementGroup${g + 1}`, { name: names.workerPlacementGroups[g], type: "spread" }));
    }
    this.placementGroups = groups;
    const servers: Server[] = [];
    const ips: string[] = [];
    for (let i = 0; i < props.count; i++) {
      const ip = `10.0.1.${FIRST_WORKER_HOST + i}`;
      ips.push(ip);
      servers.push(
        sovereignServer(this, `Worker${i + 1}`, props, {
          name: names.workers[i],
          role: "agent",
          serverType: props.serverType,
          privateIp: ip,
          placementGroupId: groups[Math.floor(i / MAX_SERVERS_PER_SPREAD_GROUP)].id,
          dependsOn: [...props.controlPlane.servers],
        }),
      );
    }
    this.servers = servers;
    this.privateIps = ips;
  }
}
