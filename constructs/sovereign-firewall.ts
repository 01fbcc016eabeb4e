import { Construct } from "constructs";
import { Firewall, FirewallRule } from "../.gen/providers/hcloud/firewall";
import { checkCidr } from "../config/checks";
import { ConstructPropError } from "../config/errors";
import { checkResourceName } from "../config/names";

/** Props of {@link SovereignFirewall}. */
export interface SovereignFirewallProps {
  /** Name of the firewall (a Sovereign's is `names.firewall`, config/names.ts). */
  readonly name: string;
  /**
   * Sources allowed to SSH (tcp 22) to the servers' public addresses.
   * @default [] — no SSH rule at all
   */
  readonly sshAllowedCidrs?: readonly string[];
  /**
   * Sources allowed to reach the Kubernetes API (tcp 6443) on the servers'
   * own public addresses. The load balancer reaches servers over the private
   * network, which Hetzner firewalls do not filter, so this is only for
   * operators who want direct node access.
   * @default [] — closed
   */
  readonly apiAllowedCidrs?: readonly string[];
}

const ANYWHERE = ["0.0.0.0/0", "::/0"];

/**
 * Inbound firewall of every server: ICMP from anywhere, SSH and the API only
 * from the listed sources. HTTP, HTTPS and the API reach the cluster through
 * the load balancer over the private network.
 */
export class SovereignFirewall extends Construct {
  /** The hcloud_firewall. */
  public readonly firewall: Firewall;

  constructor(scope: Construct, id: string, props: SovereignFirewallProps) {
    super(scope, id);
    const nameProblem = checkResourceName(props.name);
    if (nameProblem) throw new ConstructPropError(this.node.path, "name", `is invalid: ${nameProblem}`);
    const ssh = props.sshAllowedCidrs ?? [];
    const api = props.apiAllowedCidrs ?? [];
    for (const [prop, list] of [["sshAllowedCidrs", ssh], ["apiAllowedCidrs", api]] as const) {
      list.forEach((cidr, i) => {
        const problem = checkCidr(cidr);
        if (problem) throw new ConstructPropError(this.node.path, `${prop}[${i}]`, `is ${JSON.stringify(cidr)}: ${problem}`);
      });
    }
    const rules: FirewallRule[] = [{ description: "ICMP (ping, path MTU discovery)", direction: "in", protocol: "icmp", sourceIps: ANYWHERE }];
    if (ssh.length > 0) rules.push({ description: "SSH from the allowed sources", direction: "in", protocol: "tcp", port: "22", sourceIps: [...ssh] });
    if (api.length > 0) rules.push({ description: "Kubernetes API from the allowed sources", direction: "in", protocol: "tcp", port: "6443", sourceIps: [...api] });
    this.firewall = new Firewall(this, "Resource", { name: props.name, rule: rules });
  }
}
