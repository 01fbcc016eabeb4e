import { Fn, TerraformLocal } from "cdktf";
import { Construct } from "constructs";
import type { Password } from "@cdktf/provider-random/lib/password";
import { ConstructPropError, UserDataTooLargeError } from "../config/errors";
import type { Sovereign } from "../config/load";
import { isKubernetesNodeName } from "../config/names";
import { BootInput, CloudConfig, NodeRole, RUNTIME_STAND_INS_MAX, RuntimeValues, nodeCloudConfig, renderCloudConfig, resolveVersions, worstCaseBytesBound } from "../userdata";
import type { HetznerLoadBalancer } from "./hetzner-load-balancer";
import type { SovereignNetwork } from "./sovereign-network";
import type { SovereignVariables } from "./sovereign-variables";

/** Hetzner's limit on a server's user_data. */
export const USER_DATA_LIMIT_BYTES = 32 * 1024;


/** Props of {@link CloudInitUserData}. */
export interface CloudInitUserDataProps {
  readonly sovereign: Sovereign;
  readonly role: NodeRole;
  /** The server's Hetzner name; with cloudController hcloud it is also its Kubernetes node name. */
  readonly serverName: string;
  /** The server's fixed private IP. */
  readonly privateIp: string;
  /** Its addresses go into k3s's certificate, the join URL and the posted kubeconfig. */
  readonly loadBalancer: HetznerLoadBalancer;
  /** The k3s server token. */
  readonly clusterToken: Password;
  /** The k3s agent token. */
  readonly agentToken: Password;
  /** The private network: the cloud controller attaches load balancers to it. */
  readonly network: SovereignNetwork;
  /** The secret variables the first server needs (pull token, bearer, cloud controller token). */
  readonly variables: SovereignVariables;
}

/**
 * A server's user_data: the typed cloud-config of its role with the values
 * known only at apply time (load balancer IP, cluster token, variables)
 * wired in as Terraform references. Fails at synthesis when the document
 * could exceed Hetzner's 32 KiB with the longest values those can take.
 */
export class CloudInitUserData extends Construct {
  /** The `#cloud-config` document for hcloud_server.user_data. */
  public readonly rendered: string;
  /**
   * An upper bound of {@link maxBytes} taken from the rendered document
   * (worstCaseBytesBound); undefined when none follows. At most 32 KiB, it
   * settles the size check without rendering the worst case.
   */
  public readonly maxBytesBound: number | undefined;
  private readonly worstCase: CloudConfig;
  private worstCaseBytes?: number;

  constructor(scope: Construct, id: string, props: CloudInitUserDataProps) {
    super(scope, id);
    if (props.sovereign.cloudController === "hcloud" && !isKubernetesNodeName(props.serverName)) {
      throw new ConstructPropError(
        this.node.path,
        "serverName",
        `is ${JSON.stringify(props.serverName)}; with cloudController hcloud it is the node's Kubernetes name: lowercase letters, digits, '-' and '.', at most 253 characters`,
      );
    }
    const input = (runtime: RuntimeValues): BootInput => ({
      sovereign: props.sovereign,
      role: props.role,
      nodeName: props.serverName,
      privateIp: props.privateIp,
      loadBalancerPrivateIp: props.loadBalancer.privateIp,
      versions: resolveVersions(props.sovereign),
      runtime,
    });
    // Files holding runtime values become Terraform locals (JSON template
    // strings, escaped by renderCloudConfig), base64-encoded into the document.
    const files = new Construct(this, "RuntimeFiles");
    const materialize = (escapedContent: string, path: string) =>
      new TerraformLocal(files, path.replace(/^\//, "").replace(/[^A-Za-z0-9]+/g, "-"), escapedContent).asString;
    const real = nodeCloudConfig(
      input({
        loadBalancerPublicIpv4: props.loadBalancer.publicIpv4,
        clusterToken: props.clusterToken.result,
        agentToken: props.agentToken.result,
        ghcrPullToken: props.variables.ghcrPullToken.stringValue,
        kubeconfigBearerToken: props.variables.kubeconfigBearerToken.stringValue,
        // The cluster's own token when set, so it can be revoked alone.
        hcloudCcmToken: Fn.coalesce([props.variables.hcloudCcmToken.stringValue, props.variables.hcloudToken.stringValue]),
        networkId: props.network.network.id,
      }),
    );
    this.rendered = renderCloudConfig(real, { materialize });
    this.worstCase = nodeCloudConfig(input(RUNTIME_STAND_INS_MAX));
    // Rendering the worst case is a second js-yaml pass over the whole
    // document; a bound from the real one settles most servers. Only a
    // bound over the limit (or none) needs the exact size.
    this.maxBytesBound = worstCaseBytesBound(real, Buffer.byteLength(this.rendered, "utf8"), this.worstCase);
    if (this.maxBytesBound === undefined || this.maxBytesBound > USER_DATA_LIMIT_BYTES) {
      if (this.maxBytes > USER_DATA_LIMIT_BYTES) throw new UserDataTooLargeError(this.node.path, this.maxBytes, USER_DATA_LIMIT_BYTES);
    }
  }

  /** Bytes of the document with every runtime value at its longest (rendered on first read). */
  public get maxBytes(): number {
    this.worstCaseBytes ??= Buffer.byteLength(renderCloudConfig(this.worstCase), "utf8");
    return this.worstCaseBytes;
  }
}
