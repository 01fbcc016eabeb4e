import { ITerraformDependable, Token } from "cdktf";
import { Construct } from "constructs";
import { Server } from "../../.gen/providers/hcloud/server";
import { LABEL_ROLE, SERVER_IMAGE } from "../../config/defaults";
import { ConstructPropError } from "../../config/errors";
import { checkServerName } from "../../config/names";
import { SERVER_TYPE_PATTERN } from "../../config/sovereign-schema";
import type { Sovereign } from "../../config/load";
import type { NodeRole } from "../../userdata";
import { CloudInitUserData } from "../cloud-init-user-data";
import type { HetznerLoadBalancer } from "../hetzner-load-balancer";
import type { SovereignFirewall } from "../sovereign-firewall";
import type { SovereignNetwork } from "../sovereign-network";
import type { SovereignVariables } from "../sovereign-variables";
import type { Password } from "@cdktf/provider-random/lib/password";
import type { SshKey } from "../../.gen/providers/hcloud/ssh-key";

/** What every server of a Sovereign shares. */
export interface ServerContext {
  readonly sovereign: Sovereign;
  readonly network: SovereignNetwork;
  readonly firewall: SovereignFirewall;
  readonly sshKey: SshKey;
  readonly loadBalancer: HetznerLoadBalancer;
  readonly clusterToken: Password;
  readonly agentToken: Password;
  readonly variables: SovereignVariables;
}

/** Attributes a server must never be replaced for: a changed template, token or image must not rebuild a Sovereign. */
export const IGNORED_SERVER_CHANGES = ["user_data", "ssh_keys", "image"];

/** Throws unless `serverType` is of a family this project supports. */
export function checkServerType(scope: Construct, serverType: string, example: string): void {
  if (!SERVER_TYPE_PATTERN.test(serverType)) {
    throw new ConstructPropError(scope.node.path, "serverType", `is ${JSON.stringify(serverType)}; allowed: a cx, cpx, ccx or cax server type such as ${example}`);
  }
}

/** One server of any role: the single host abstraction control plane and workers share. */
export function sovereignServer(
  scope: Construct,
  id: string,
  ctx: ServerContext,
  spec: { name: string; role: NodeRole; serverType: string; privateIp: string; placementGroupId: string; dependsOn: ITerraformDependable[] },
): Server {
  const host = new Construct(scope, id);
  const nameProblem = checkServerName(spec.name);
  if (nameProblem) throw new ConstructPropError(host.node.path, "name", `is invalid: ${nameProblem}`);
  const userData = new CloudInitUserData(host, "UserData", {
    sovereign: ctx.sovereign,
    role: spec.role,
    serverName: spec.name,
    privateIp: spec.privateIp,
    network: ctx.network,
    loadBalancer: ctx.loadBalancer,
    clusterToken: ctx.clusterToken,
    agentToken: ctx.agentToken,
    variables: ctx.variables,
  });
  const protection = ctx.sovereign.protection.enabled;
  return new Server(host, "Resource", {
    name: spec.name,
    serverType: spec.serverType,
    // Hetzner picks the image's architecture from the server type (cax: Arm).
    image: SERVER_IMAGE,
    location: ctx.sovereign.location,
    sshKeys: [ctx.sshKey.id],
    firewallIds: [Token.asNumber(ctx.firewall.firewall.id)],
    placementGroupId: Token.asNumber(spec.placementGroupId),
    labels: { [LABEL_ROLE]: spec.role === "agent" ? "worker" : "control-plane" },
    // subnet_id, not network_id: with network_id alone the provider attaches
    // the server to the network's last subnet (docs/resources/server.md,
    // v1.68.0). alias_ips = []: without it Terraform 1.4+ detaches and
    // re-attaches the network on every apply (same file; provider issue
    // #650), which would cut node-ip, etcd and the load balancer's targets.
    // Switching a deployed server from network_id is an in-place update with
    // no detach: updateServerInlineNetworkAttachments (internal/server/
    // resource.go) matches attachments by network id and keeps same-IP ones.
    network: [{ subnetId: ctx.network.subnet.id, ip: spec.privateIp, aliasIps: [] }],
    publicNet: [{ ipv4Enabled: true, ipv6Enabled: true }],
    userData: userData.rendered,
    deleteProtection: protection,
    rebuildProtection: protection,
    // user_data is read once, at first boot; changing it later would only
    // replace the server. Rebuild a node on purpose with
    // `terraform apply -replace=<address>` (README: rebuild one node).
    lifecycle: { ignoreChanges: IGNORED_SERVER_CHANGES },
    // The provider attaches the network only once its subnet exists.
    dependsOn: [ctx.network.subnet, ...spec.dependsOn],
  });
}
