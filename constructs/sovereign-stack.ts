import { Aspects, LocalBackend, RemoteBackend, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { Password } from "@cdktf/provider-random/lib/password";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { HcloudProvider } from "../.gen/providers/hcloud/provider";
import { SshKey } from "../.gen/providers/hcloud/ssh-key";
import type { Sovereign } from "../config/load";
import { gitopsClusterDir } from "../userdata/flux-bootstrap";
import { API_PORT } from "../userdata/k3s";
import { escapeTerraformTemplate } from "../userdata/render";
import { HetznerLoadBalancer } from "./hetzner-load-balancer";
import { SovereignControlPlane } from "./sovereign-control-plane";
import { SovereignFirewall } from "./sovereign-firewall";
import { SovereignLabels } from "./sovereign-labels";
import { SovereignNetwork } from "./sovereign-network";
import { SovereignVariables } from "./sovereign-variables";
import { WorkerPool } from "./worker-pool";

/** Versions of the Hetzner provider the stack accepts (cdktf.json declares the same). */
export const HCLOUD_VERSION_RANGE = "~> 1.68";
/** Versions of the random provider the stack accepts. */
export const RANDOM_VERSION_RANGE = "~> 3.7";

/** Props of {@link SovereignStack}. */
export interface SovereignStackProps {
  /** The validated Sovereign file. */
  readonly sovereign: Sovereign;
}

/**
 * The complete Terraform stack of one Sovereign: providers, secret
 * variables, state backend and every Hetzner resource.
 */
export class SovereignStack extends TerraformStack {
  /** The Sovereign this stack deploys. */
  public readonly sovereign: Sovereign;
  /** The secret variables (TF_VAR_*). */
  public readonly variables: SovereignVariables;
  public readonly network: SovereignNetwork;
  public readonly firewall: SovereignFirewall;
  public readonly loadBalancer: HetznerLoadBalancer;
  public readonly controlPlane: SovereignControlPlane;
  public readonly workers: WorkerPool;

  /**
   * cdktf's prepareStack resolves every element once more with
   * `preparing: true` before synthesis. That pass exists for references
   * between stacks (it adds an output to one stack and a remote state to
   * the other); Sovereign stacks never reference each other, so here it
   * would only repeat work (about a fifth of synthesising one Sovereign).
   * The backend check stays. "skipping cdktf's preparing pass changes
   * nothing" (sovereign-stack.test.ts) synthesises several Sovereigns both
   * ways and compares every file.
   */
  public prepareStack(): void {
    this.ensureBackendExists();
  }

  constructor(scope: Construct, id: string, props: SovereignStackProps) {
    super(scope, id);
    const s = props.sovereign;
    this.sovereign = s;

    configureBackend(this, s);

    this.variables = new SovereignVariables(this, "Variables", {
      postbackEnabled: s.postback !== undefined,
      pullSecretEnabled: s.registry.pullSecret,
    });
    const hcloud = new HcloudProvider(this, "hcloud", { token: this.variables.hcloudToken.stringValue });
    new RandomProvider(this, "random");
    // cdktf writes the exact version the bindings were generated from; keep
    // ranges instead so that patch releases install without a code change.
    this.addOverride("terraform.required_providers.hcloud.version", hcloud.terraformGeneratorMetadata?.providerVersionConstraint ?? HCLOUD_VERSION_RANGE);
    this.addOverride("terraform.required_providers.random.version", RANDOM_VERSION_RANGE);

    const protection = s.protection.enabled;
    this.network = new SovereignNetwork(this, "Network", { name: s.names.network, location: s.location, deleteProtection: protection });
    this.firewall = new SovereignFirewall(this, "Firewall", {
      name: s.names.firewall,
      sshAllowedCidrs: s.ssh.allowedCidrs,
      apiAllowedCidrs: s.firewall.apiAllowedCidrs,
    });
    // The operator's own key, never generated: break-glass access and its
    // audit trail stay with a named person.
    // The key's comment is free text: escape Terraform template syntax in it.
    const sshKey = new SshKey(this, "SshKey", { name: s.names.sshKey, publicKey: escapeTerraformTemplate(s.ssh.publicKey) });
    this.loadBalancer = new HetznerLoadBalancer(this, "LoadBalancer", {
      name: s.names.loadBalancer,
      location: s.location,
      network: this.network,
      loadBalancerType: s.loadBalancer.type,
      deleteProtection: protection,
    });
    // Random, and kept only in state: never derived from anything guessable.
    const clusterToken = new Password(this, "ClusterToken", { length: 64, special: false });
    // Agents get their own token, so a worker cannot join as a server.
    const agentToken = new Password(this, "AgentToken", { length: 64, special: false });

    const context = { sovereign: s, network: this.network, firewall: this.firewall, sshKey, loadBalancer: this.loadBalancer, clusterToken, agentToken, variables: this.variables };
    this.controlPlane = new SovereignControlPlane(this, "ControlPlane", { ...context, serverType: s.controlPlane.serverType, ha: s.controlPlane.ha });
    this.workers = new WorkerPool(this, "Workers", { ...context, serverType: s.workers.serverType, count: s.workers.count, controlPlane: this.controlPlane });

    Aspects.of(this).add(new SovereignLabels(s.names.sovereignLabel));
    this.addOutputs();
  }

  private addOutputs(): void {
    const s = this.sovereign;
    const output = (name: string, value: unknown, description: string) => {
      new TerraformOutput(this, name, { value, description }).overrideLogicalId(name);
    };
    output("control_plane_ip", this.controlPlane.servers[0].ipv4Address, "Public IPv4 of control-plane server 1 (SSH, if allowed).");
    output("load_balancer_ip", this.loadBalancer.publicIpv4, "Public IPv4 of the load balancer: point the Sovereign's DNS here.");
    output("sovereign_fqdn", s.fqdn, "The Sovereign's FQDN.");
    output("console_url", `https://console.${s.fqdn}`, "The Sovereign's console.");
    output("gitops_repo_url", `${s.gitops.repoUrl}//${gitopsClusterDir(s)}`, "Where Flux takes this cluster's desired state from (the layout's cluster tree).");
    output("kubernetes_api_endpoint", `https://${this.loadBalancer.publicIpv4}:${API_PORT}`, "Kubernetes API through the load balancer (the posted kubeconfig's server).");
    output("load_balancer_private_ip", this.loadBalancer.privateIp, "Private IP of the load balancer: the address servers and agents join at.");
    output("control_plane_private_ips", this.controlPlane.privateIps, "Private IPs of the control-plane servers, server 1 first.");
    output("worker_private_ips", this.workers.privateIps, "Private IPs of the workers.");
    output("server_names", [...this.controlPlane.servers, ...this.workers.servers].map((server) => server.name), "Names of all servers (for terraform -replace and the Hetzner console).");
  }
}

/** The state's name in each backend is s.stateName (config/names.ts): valid for every accepted FQDN and prefix. */
function configureBackend(stack: TerraformStack, s: Sovereign): void {
  const state = s.state;
  switch (state.backend) {
    case "local":
      // cdktf runs Terraform in cdktf.out/stacks/<stack>; a relative path
      // keeps the state in the project root on every machine (the default
      // would be the synthesising machine's absolute path).
      new LocalBackend(stack, { path: `../../../${s.stateName}` });
      break;
    case "s3":
      new S3Backend(stack, {
        bucket: state.bucket,
        key: s.stateName,
        region: state.region,
        endpoints: { s3: state.endpoint },
        usePathStyle: true,
        skipCredentialsValidation: true,
        skipRegionValidation: true,
        skipRequestingAccountId: true,
        skipMetadataApiCheck: true,
        skipS3Checksum: true,
      });
      // State locking by a lock object next to the state (Terraform >= 1.10);
      // Hetzner Object Storage has no DynamoDB. cdktf 0.21 lacks the option.
      stack.addOverride("terraform.backend.s3.use_lockfile", true);
      break;
    case "remote":
      new RemoteBackend(stack, {
        hostname: state.hostname,
        organization: state.organization,
        workspaces: { name: s.stateName },
      });
      break;
  }
}
