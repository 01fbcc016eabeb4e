import { IAspect, TerraformResource } from "cdktf";
import type { IConstruct } from "constructs";
import { LABEL_SOVEREIGN } from "../config/defaults";

/**
 * Aspect: every labelable Hetzner resource carries
 * `catalyst.openova.io/sovereign=<fqdn>`, merged into the labels its
 * construct set, so no construct has to remember it.
 */
export class SovereignLabels implements IAspect {
  constructor(private readonly fqdn: string) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource) || !node.terraformResourceType.startsWith("hcloud_")) return;
    const resource = node as TerraformResource & { labelsInput?: Record<string, string>; labels?: Record<string, string> };
    if (!("labelsInput" in resource)) return;
    resource.labels = { ...(resource.labelsInput ?? {}), [LABEL_SOVEREIGN]: this.fqdn };
  }
}
