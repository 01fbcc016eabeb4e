import { IAspect, TerraformResource } from "cdktf";
import type { IConstruct } from "constructs";
import { LABEL_SOVEREIGN } from "../config/defaults";
import { ConstructPropError } from "../config/errors";
import { checkLabelValue } from "../config/names";

/**
 * Aspect: every labelable Hetzner resource carries
 * `catalyst.openova.io/sovereign=<value>`, merged into the labels its
 * construct set, so no construct has to remember it. The value is the
 * Sovereign's `names.sovereignLabel` (config/names.ts): its FQDN, or a
 * shortened form with a hash when the FQDN is longer than a label value may be.
 */
export class SovereignLabels implements IAspect {
  constructor(private readonly sovereignLabel: string) {
    const problem = checkLabelValue(sovereignLabel);
    if (problem) throw new ConstructPropError("SovereignLabels", "sovereignLabel", `is invalid: ${problem}`);
  }

  public visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource) || !node.terraformResourceType.startsWith("hcloud_")) return;
    const resource = node as TerraformResource & { labelsInput?: Record<string, string>; labels?: Record<string, string> };
    if (!("labelsInput" in resource)) return;
    resource.labels = { ...(resource.labelsInput ?? {}), [LABEL_SOVEREIGN]: this.sovereignLabel };
  }
}
