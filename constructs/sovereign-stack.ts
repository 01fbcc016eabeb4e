import { LocalBackend, RemoteBackend, S3Backend, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { HcloudProvider } from "../.gen/providers/hcloud/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import type { Sovereign } from "../config/load";
import { SovereignVariables } from "./sovereign-variables";

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
  }
}

function configureBackend(stack: TerraformStack, s: Sovereign): void {
  const state = s.state;
  switch (state.backend) {
    case "local":
      // cdktf runs Terraform in cdktf.out/stacks/<stack>; a relative path
      // keeps the state in the project root on every machine (the default
      // would be the synthesising machine's absolute path).
      new LocalBackend(stack, { path: `../../../terraform.${s.stackName}.tfstate` });
      break;
    case "s3":
      new S3Backend(stack, {
        bucket: state.bucket,
        key: `${state.keyPrefix}/${s.stackName}.tfstate`,
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
        workspaces: { name: `${state.workspacePrefix}${s.stackName}` },
      });
      break;
  }
}
