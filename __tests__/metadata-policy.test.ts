/**
 * The policy that keeps pods away from Hetzner's metadata service
 * (169.254.169.254), which serves every server's user data, tokens included.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { nodeSteps } from "../userdata";
import {
  CCNP_CRD,
  EndpointSelector,
  METADATA_SERVICE_EXEMPT,
  NAMESPACE_LABEL,
  allExceptSelectors,
  metadataDenyPolicy,
  metadataPolicyStep,
} from "../userdata/metadata-policy";
import { bootInput } from "./fixtures/boot";
import { runWithFakes } from "./fixtures/fake-bin";
import { ROOT } from "./fixtures/sovereigns";

/**
 * Kubernetes label-selector semantics (apimachinery labels.Selector, which
 * Cilium's EndpointSelector uses): every requirement must hold; NotIn and
 * DoesNotExist hold for a missing key.
 */
function selects(selector: EndpointSelector, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.operator) {
      case "In":
        return has && r.values!.includes(labels[r.key]);
      case "NotIn":
        return !has || !r.values!.includes(labels[r.key]);
      case "Exists":
        return has;
      case "DoesNotExist":
        return !has;
    }
  });
  return byLabels && byExpressions;
}

const policy = metadataDenyPolicy();
/** How many of the policy's rules select a pod with these labels (namespace as Cilium labels it). */
const rulesSelecting = (namespace: string, labels: Record<string, string>) =>
  policy.specs.filter((rule) => selects(rule.endpointSelector, { [NAMESPACE_LABEL]: namespace, ...labels })).length;

const CSI_NODE = { "app.kubernetes.io/name": "hcloud-csi", "app.kubernetes.io/component": "node", "app.kubernetes.io/instance": "hcloud-csi" };

describe("the metadata-service policy", () => {
  test("denies egress to 169.254.169.254/32 only, and never switches a pod to default-deny", () => {
    expect(policy.apiVersion).toBe("cilium.io/v2");
    expect(policy.kind).toBe("CiliumClusterwideNetworkPolicy");
    expect(policy.specs.length).toBeGreaterThan(0);
    for (const rule of policy.specs) {
      expect(rule.egressDeny).toEqual([{ toCIDR: ["169.254.169.254/32"] }]);
      // Without this, Cilium puts every selected pod in default-deny egress (Cilium >= 1.16).
      expect(rule.enableDefaultDeny).toEqual({ egress: false, ingress: false });
      expect(Object.keys(rule).sort()).toEqual(["description", "egressDeny", "enableDefaultDeny", "endpointSelector"]);
    }
  });

  test.each([
    ["a workload", "default", { app: "shop" }, 1],
    ["a pod without labels", "tenant-a", {}, 1],
    ["CoreDNS", "kube-system", { "k8s-app": "kube-dns" }, 1],
    ["a kube-system pod without labels", "kube-system", {}, 1],
    ["the CSI controller", "kube-system", { ...CSI_NODE, "app.kubernetes.io/component": "controller" }, 1],
    ["a pod copying the CSI node labels outside kube-system", "default", CSI_NODE, 1],
    ["a kube-system pod with only the CSI component label", "kube-system", { "app.kubernetes.io/component": "node" }, 1],
    ["the CSI node plugin", "kube-system", CSI_NODE, 0],
  ] as const)("%s (namespace %s, labels %j) is denied by %d rule(s)", (_name, namespace, labels, count) => {
    expect(rulesSelecting(namespace, labels)).toBe(count);
  });

  test.each([0, 1, 2, 3])("with %d exempt labels, exactly the exempt pods escape and no pod is selected twice", (n) => {
    const labels = Object.fromEntries(Array.from({ length: n }, (_, i) => [`l${i}`, `v${i}`]));
    const selectors = allExceptSelectors("ns", labels);
    // Every pod: in or out of the namespace, each label exempt-valued, other-valued or absent.
    const choices = ["exempt", "other", "absent"] as const;
    let pods = [{ ns: "ns", labels: {} as Record<string, string>, exempt: true }, { ns: "elsewhere", labels: {} as Record<string, string>, exempt: false }];
    Object.entries(labels).forEach(([key, value]) => {
      pods = pods.flatMap((pod) =>
        choices.map((c) => ({
          ns: pod.ns,
          labels: c === "absent" ? pod.labels : { ...pod.labels, [key]: c === "exempt" ? value : "x" },
          exempt: pod.exempt && c === "exempt",
        })),
      );
    });
    for (const pod of pods) {
      const hits = selectors.filter((s) => selects(s, { [NAMESPACE_LABEL]: pod.ns, ...pod.labels })).length;
      expect([pod, hits]).toEqual([pod, pod.exempt ? 0 : 1]);
    }
  });

  test("server 1 applies it right after Cilium, before the cloud controller and Flux", () => {
    const steps = nodeSteps(bootInput("first-server")).map((s) => s.step);
    expect(steps.indexOf("metadata-policy")).toBe(steps.indexOf("cilium") + 1);
    expect(steps.indexOf("metadata-policy")).toBeLessThan(steps.indexOf("hcloud-ccm"));
    expect(steps.indexOf("metadata-policy")).toBeLessThan(steps.indexOf("flux"));
    expect(nodeSteps(bootInput("first-server", { cloudController: "k3s" })).map((s) => s.step)).toContain("metadata-policy");
    for (const role of ["joining-server", "agent"] as const) expect(nodeSteps(bootInput(role)).map((s) => s.step)).not.toContain("metadata-policy");
  });

  test("is delivered as a typed manifest file and applied once the CRD exists, with a deadline", () => {
    const step = metadataPolicyStep();
    const manifest = step.files!.find((f) => f.path === "/var/lib/catalyst/metadata-service-policy.yaml")!;
    expect(yaml.load(manifest.content)).toEqual(policy);
    expect(manifest.permissions).toBe("0644");
    expect(step.command).toEqual(["/usr/local/lib/catalyst/apply-after-crd.sh", CCNP_CRD, "/var/lib/catalyst/metadata-service-policy.yaml", "300"]);
  });

  test("the README documents the exemption the GitOps side relies on", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const { namespace, labels } = METADATA_SERVICE_EXEMPT;
    expect(readme).toContain(`\`${namespace}\``);
    for (const [key, value] of Object.entries(labels)) expect(readme).toContain(`\`${key}=${value}\``);
    expect(readme).toContain("169.254.169.254/32");
  });
});

describe("apply-after-crd.sh", () => {
  const script = path.join(ROOT, "userdata", "scripts", "apply-after-crd.sh");

  test("applies the manifest with strict field validation once the CRD is established", () => {
    const run = runWithFakes(script, [CCNP_CRD, "/tmp/policy.yaml", "30"], { FAKE_CRD_PRESENT: "1" });
    expect(run.status).toBe(0);
    expect(run.calls.split("\n").filter(Boolean)).toEqual([
      `k3s kubectl get crd ${CCNP_CRD}`,
      `k3s kubectl wait --for=condition=Established crd/${CCNP_CRD} --timeout=30s`,
      "k3s kubectl apply --validate=strict -f /tmp/policy.yaml",
    ]);
  });

  test("fails when the CRD does not appear within the deadline, applying nothing", () => {
    const run = runWithFakes(script, [CCNP_CRD, "/tmp/policy.yaml", "0"]);
    expect(run.status).toBe(1);
    expect(run.output).toContain(`CRD ${CCNP_CRD} was not registered within 0s`);
    expect(run.calls).not.toContain("apply");
  });
});
