import { TerraformVariable } from "cdktf";
import { Construct } from "constructs";

/** Props of {@link SovereignVariables}. */
export interface SovereignVariablesProps {
  /**
   * The Sovereign posts its kubeconfig back, so the bearer must be set.
   * @default false — the bearer may be empty and is never used
   */
  readonly postbackEnabled?: boolean;
  /**
   * The registry needs a pull Secret, so the GHCR token must be set.
   * @default true
   */
  readonly pullSecretEnabled?: boolean;
}

/**
 * The secrets of a Sovereign as sensitive Terraform variables, set
 * through TF_VAR_* at deploy time and checked by Terraform at plan: a
 * missing or malformed value fails with a message naming the variable to set.
 */
export class SovereignVariables extends Construct {
  /** Hetzner Cloud API token (read/write project token). */
  public readonly hcloudToken: TerraformVariable;
  /** The cloud controller's own API token; empty: it uses hcloudToken. */
  public readonly hcloudCcmToken: TerraformVariable;
  /** GitHub token with read:packages, for the ghcr.io pull Secret. */
  public readonly ghcrPullToken: TerraformVariable;
  /** One-time bearer of the kubeconfig postback (64 hex characters). */
  public readonly kubeconfigBearerToken: TerraformVariable;

  constructor(scope: Construct, id: string, props: SovereignVariablesProps = {}) {
    super(scope, id);
    const postbackEnabled = props.postbackEnabled ?? false;
    const pullSecretEnabled = props.pullSecretEnabled ?? true;

    // Each variable defaults to "" so that an unset TF_VAR_ reaches the
    // validation below (which names the TF_VAR_ to set) instead of an
    // interactive prompt or Terraform's generic "no value" error.
    this.hcloudToken = secretVariable(this, "hcloud_token", "Hetzner Cloud API token of the project the Sovereign lives in (read/write).", [
      {
        condition: '${can(regex("^[A-Za-z0-9]{64}$", var.hcloud_token))}',
        errorMessage: "hcloud_token must be a 64-character Hetzner Cloud API token: set TF_VAR_hcloud_token (Hetzner console > project > Security > API tokens).",
      },
    ]);

    // The cloud controller's token sits in server 1's user data, which the
    // metadata service serves for the server's lifetime: a token of its own
    // can be revoked without touching the one Terraform deploys with.
    this.hcloudCcmToken = secretVariable(
      this,
      "hcloud_ccm_token",
      "Hetzner Cloud API token (read/write) for the cluster's cloud controller; empty: hcloud_token is used.",
      [
        {
          condition: '${var.hcloud_ccm_token == "" || can(regex("^[A-Za-z0-9]{64}$", var.hcloud_ccm_token))}',
          errorMessage: "hcloud_ccm_token must be empty or a 64-character Hetzner Cloud API token: check TF_VAR_hcloud_ccm_token.",
        },
      ],
    );

    this.ghcrPullToken = secretVariable(
      this,
      "ghcr_pull_token",
      "GitHub token with read:packages for the ghcr.io pull Secret (flux-system/ghcr-pull).",
      pullSecretEnabled
        ? [
            {
              condition: '${can(regex("^[A-Za-z0-9_]{20,255}$", var.ghcr_pull_token))}',
              errorMessage:
                "ghcr_pull_token must be a GitHub token (letters, digits, '_'; 20-255 characters): set TF_VAR_ghcr_pull_token, or set registry.pullSecret: false in the Sovereign file if its registry needs no credentials.",
            },
          ]
        : [
            {
              condition: '${var.ghcr_pull_token == "" || can(regex("^[A-Za-z0-9_]{20,255}$", var.ghcr_pull_token))}',
              errorMessage: "ghcr_pull_token must be empty or a GitHub token (letters, digits, '_'; 20-255 characters): check TF_VAR_ghcr_pull_token.",
            },
          ],
    );

    this.kubeconfigBearerToken = secretVariable(
      this,
      "kubeconfig_bearer_token",
      "One-time bearer the control plane presents when it PUTs its kubeconfig to the provisioning API (32 random bytes, hex).",
      postbackEnabled
        ? [
            {
              condition: '${can(regex("^[0-9a-f]{64}$", var.kubeconfig_bearer_token))}',
              errorMessage:
                "kubeconfig_bearer_token must be 64 lowercase hex characters (32 random bytes): set TF_VAR_kubeconfig_bearer_token to the bearer the provisioning API issued for this deployment.",
            },
          ]
        : [],
    );
  }
}

function secretVariable(scope: Construct, name: string, description: string, validation: { condition: string; errorMessage: string }[]): TerraformVariable {
  const variable = new TerraformVariable(scope, name, {
    type: "string",
    description,
    sensitive: true,
    nullable: false,
    default: "",
    validation: validation.length > 0 ? validation : undefined,
  });
  // Keep the Terraform name exactly as documented (TF_VAR_<name>).
  variable.overrideLogicalId(name);
  return variable;
}
