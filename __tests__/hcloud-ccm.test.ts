/**
 * Hetzner's cloud controller manager (cloudController: hcloud, the
 * default): installed at boot on server 1, before anything that must be
 * scheduled, with its token from a Terraform variable.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TerraformStack, Testing } from "cdktf";
import { Password } from "@cdktf/provider-random/lib/password";
import { ConstructPropError } from "../config/errors";
import * as yaml from "js-yaml";
import { CloudInitUserData, HetznerLoadBalancer, SovereignNetwork, SovereignStack, SovereignVariables } from "../constructs";
import { nodeSteps } from "../userdata";
import { DOWNLOADS } from "../userdata/versions";
import { HCLOUD_CCM_RELEASE, hcloudCcmStep, hcloudCcmValues, hcloudSecret } from "../userdata/hcloud-ccm";
import { evaluateUserData } from "../scripts/evaluate-user-data";
import { RUNTIME_EXAMPLE, bootInput, requireTool } from "./fixtures/boot";
import { TEST_SECRETS } from "./fixtures/evaluated";
import { runWithFakes } from "./fixtures/fake-bin";
import { ROOT, sovereignWith } from "./fixtures/sovereigns";

const SHA = (text: string) => createHash("sha256").update(text).digest("hex");

describe("the cloud controller step", () => {
  test("server 1 installs it after Cilium and the metadata policy, before Flux and the Flux objects", () => {
    const steps = nodeSteps(bootInput("first-server")).map((s) => s.step);
    expect(steps.indexOf("hcloud-ccm")).toBe(steps.indexOf("metadata-policy") + 1);
    expect(steps.indexOf("metadata-policy")).toBe(steps.indexOf("cilium") + 1);
    expect(steps.indexOf("hcloud-ccm")).toBeLessThan(steps.indexOf("flux"));
    expect(steps.indexOf("hcloud-ccm")).toBeLessThan(steps.indexOf("flux-bootstrap"));
  });

  test("only server 1 installs it, and nothing does with cloudController k3s", () => {
    for (const role of ["joining-server", "agent"] as const) expect(nodeSteps(bootInput(role)).map((s) => s.step)).not.toContain("hcloud-ccm");
    expect(hcloudCcmStep(bootInput("first-server", { cloudController: "k3s" }))).toBeUndefined();
    const files = nodeSteps(bootInput("first-server", { cloudController: "k3s" })).flatMap((s) => s.files ?? []).map((f) => f.path);
    expect(files).not.toContain("/var/lib/catalyst/hcloud-secret.yaml");
  });

  test("values: private network with k3s's pod CIDR, load balancers in the Sovereign's location on private IPs, no network routes", () => {
    expect(hcloudCcmValues(bootInput("first-server", { location: "hel1" }))).toEqual({
      networking: { enabled: true, clusterCIDR: "10.42.0.0/16" },
      env: {
        HCLOUD_LOAD_BALANCERS_LOCATION: { value: "hel1" },
        HCLOUD_LOAD_BALANCERS_USE_PRIVATE_IP: { value: "true" },
        HCLOUD_NETWORK_ROUTES_ENABLED: { value: "false" },
      },
    });
    const file = hcloudCcmStep(bootInput("first-server", { location: "hel1" }))!.files!.find((f) => f.path === "/etc/catalyst/hcloud-ccm-values.yaml")!;
    expect(yaml.load(file.content)).toEqual(hcloudCcmValues(bootInput("first-server", { location: "hel1" })));
  });

  test("kube-system/hcloud carries the token and the network id as base64 data, in a 0600 runtime file removed on failure", () => {
    expect(hcloudSecret(bootInput("first-server"))).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "hcloud", namespace: "kube-system" },
      type: "Opaque",
      data: { token: Buffer.from(RUNTIME_EXAMPLE.hcloudCcmToken).toString("base64"), network: Buffer.from("4711").toString("base64") },
    });
    const file = hcloudCcmStep(bootInput("first-server"))!.files!.find((f) => f.path === "/var/lib/catalyst/hcloud-secret.yaml")!;
    expect(file).toMatchObject({ permissions: "0600", runtime: true, removeOnFailure: true });
    expect(yaml.load(file.content)).toEqual(hcloudSecret(bootInput("first-server")));
  });

  test("the chart is pinned by version and SHA-256; versions.hcloudCcm overrides both", () => {
    expect(hcloudCcmStep(bootInput("first-server"))!.command).toEqual([
      "/usr/local/lib/catalyst/hcloud-ccm-install.sh",
      "/var/lib/catalyst/hcloud-secret.yaml",
      "1.30.1",
      "47fb5036597557f815cb27ca304ad4932366d788d5a2adfd91f0c9e9fcce96a6",
      "catalyst-omantel-omani-works-cp-1",
      "600",
    ]);
    const pinned = { version: "9.9.9", chartSha256: "ab".repeat(32) };
    expect(hcloudCcmStep(bootInput("first-server", { versions: { hcloudCcm: pinned } }))!.command!.slice(2, 4)).toEqual(["9.9.9", "ab".repeat(32)]);
  });

  test("the README's cloud-controller section names the release name, target and storage namespace a Flux HelmRelease must adopt", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const start = readme.indexOf("\n## Hetzner's cloud controller\n");
    expect(start).toBeGreaterThanOrEqual(0);
    const end = readme.indexOf("\n## ", start + 1);
    const section = readme.slice(start, end < 0 ? undefined : end);
    for (const word of [
      `releaseName: ${HCLOUD_CCM_RELEASE.name}`,
      `targetNamespace: ${HCLOUD_CCM_RELEASE.namespace}`,
      `storageNamespace: ${HCLOUD_CCM_RELEASE.namespace}`,
    ])
      expect(section).toContain(word);
  });
});

describe("hcloud-ccm-install.sh", () => {
  const script = path.join(ROOT, "userdata", "scripts", "hcloud-ccm-install.sh");
  const chart = "fake chart archive";
  let dir: string;
  let secret: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ccm-"));
    secret = path.join(dir, "hcloud-secret.yaml");
    fs.writeFileSync(secret, "kind: Secret\n", { mode: 0o600 });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("applies the Secret, installs the verified chart as the documented release, waits for the node's hcloud:// provider ID; the Secret file is gone", () => {
    const run = runWithFakes(script, [secret, "1.30.1", SHA(chart), "cp-1", "30"], { FAKE_DOWNLOAD: chart, FAKE_PROVIDER_ID: "hcloud://4242" });
    expect(run.status).toBe(0);
    const calls = run.calls.split("\n").filter((l) => /^(k3s|helm|curl) /.test(l));
    expect(calls[0]).toBe(`k3s kubectl apply -f ${secret}`);
    expect(calls[1]).toBe(`curl ${DOWNLOADS.hcloudCcmChart("1.30.1")}`);
    expect(calls[2]).toMatch(
      new RegExp(`^helm upgrade --install ${HCLOUD_CCM_RELEASE.name} \\S+/chart\\.tgz --namespace ${HCLOUD_CCM_RELEASE.namespace} --values /etc/catalyst/hcloud-ccm-values.yaml --timeout 30s$`),
    );
    expect(calls[3]).toBe("k3s kubectl -n kube-system rollout status deployment/hcloud-cloud-controller-manager --timeout=30s");
    expect(calls[4]).toBe("k3s kubectl get node cp-1 -o jsonpath={.spec.providerID}");
    expect(run.calls).toContain("--- content of");
    expect(fs.existsSync(secret)).toBe(false);
  });

  test("fails on a chart whose SHA-256 differs, before Helm runs; the Secret file is gone", () => {
    const run = runWithFakes(script, [secret, "1.30.1", SHA("another chart"), "cp-1", "30"], { FAKE_DOWNLOAD: chart, FAKE_PROVIDER_ID: "hcloud://4242" });
    expect(run.status).not.toBe(0);
    expect(run.calls).not.toContain("helm ");
    expect(fs.existsSync(secret)).toBe(false);
  });

  test("fails when the node is not initialised within the deadline, naming it", () => {
    const run = runWithFakes(script, [secret, "1.30.1", SHA(chart), "cp-1", "0"], { FAKE_DOWNLOAD: chart, FAKE_PROVIDER_ID: "k3s://cp-1" });
    expect(run.status).toBe(1);
    expect(run.output).toContain("node cp-1 has no hcloud:// provider ID after 0s");
    expect(fs.existsSync(secret)).toBe(false);
  });
});

describe("the cloud controller's token", () => {
  const stack = new SovereignStack(Testing.app(), "omantel-omani-works", { sovereign: sovereignWith() });
  const json = JSON.parse(Testing.synth(stack, true));

  test("is a sensitive variable of its own, validated, empty by default", () => {
    expect(json.variable.hcloud_ccm_token).toMatchObject({ sensitive: true, type: "string", default: "", nullable: false });
    expect(json.variable.hcloud_ccm_token.validation[0].error_message).toContain("TF_VAR_hcloud_ccm_token");
  });

  test("server 1's Secret takes hcloud_ccm_token, else hcloud_token, and the network's id", () => {
    const locals = JSON.stringify(json.locals);
    expect(locals).toContain("coalesce(var.hcloud_ccm_token, var.hcloud_token)");
    expect(locals).toMatch(/hcloud_network\.Network_[A-Za-z0-9_]+\.id/);
  });

  const evaluate = (values: Record<string, string>) => {
    const [server] = evaluateUserData([{ name: "s", json }], values);
    const doc = yaml.load(server.userData) as { write_files: { path: string; content: string }[] };
    const file = doc.write_files.find((f) => f.path === "/var/lib/catalyst/hcloud-secret.yaml")!;
    const secret = yaml.load(Buffer.from(file.content, "base64").toString("utf8")) as { data: { token: string; network: string } };
    return { token: Buffer.from(secret.data.token, "base64").toString(), network: Buffer.from(secret.data.network, "base64").toString() };
  };

  test("Terraform fills the Secret: the deploy token when hcloud_ccm_token is empty, the cluster's own token when set", () => {
    if (!requireTool("terraform", "user data evaluation")) return;
    expect(evaluate(TEST_SECRETS)).toEqual({ token: TEST_SECRETS.hcloud_token, network: "4711" });
    const own = "CCM".padEnd(64, "7");
    expect(evaluate({ ...TEST_SECRETS, hcloud_ccm_token: own })).toEqual({ token: own, network: "4711" });
  });
});

describe("node names", () => {
  const userData = (serverName: string, changes: Record<string, unknown> = {}) => () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const sovereign = sovereignWith(changes);
    const network = new SovereignNetwork(stack, "Network", { name: "p-net", location: "fsn1" });
    const loadBalancer = new HetznerLoadBalancer(stack, "LoadBalancer", { name: "p-lb", location: "fsn1", network });
    const token = new Password(stack, "T", { length: 64, special: false });
    const variables = new SovereignVariables(stack, "Variables");
    return new CloudInitUserData(stack, "UserData", { sovereign, role: "agent", serverName, privateIp: "10.0.1.10", network, loadBalancer, clusterToken: token, agentToken: token, variables });
  };

  test("fails on a server name Kubernetes would refuse as a node name, naming the prop", () => {
    let error: unknown;
    try {
      userData("Worker_1")();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConstructPropError);
    expect(error).toMatchObject({ constructPath: "s/UserData", prop: "serverName" });
    expect(userData("Worker_1")).toThrow(/serverName is "Worker_1"; with cloudController hcloud it is the node's Kubernetes name/);
    expect(userData("a".repeat(254))).toThrow(ConstructPropError);
  });

  test("accepts a Hetzner server name, and any name with cloudController k3s (k3s then names nodes itself)", () => {
    expect(userData("catalyst-omantel-omani-works-worker-1")).not.toThrow();
    expect(userData("Worker_1", { cloudController: "k3s" })).not.toThrow();
  });
});
