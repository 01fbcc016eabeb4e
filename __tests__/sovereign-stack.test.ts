import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { App, TerraformOutput, TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import { ConstructPropError } from "../config/errors";
import { Sovereign, loadSovereignSet } from "../config/load";
import { addSovereignStacks, withCheapTokenTraces } from "../app";
import { HetznerLoadBalancer, SovereignFirewall, SovereignNetwork, SovereignStack } from "../constructs";
import { EvaluationError, MAX_ERROR_CHARS, evaluateUserData } from "../scripts/evaluate-user-data";
import { ROOT, exampleWith, sovereignWith } from "./fixtures/sovereigns";

const HA_SIN = { location: "sin", controlPlane: { ha: true, serverType: "ccx23" }, workers: { count: 3, serverType: "cpx32" } };

function synth(sovereign: Sovereign): any {
  const stack = new SovereignStack(Testing.app(), sovereign.stackName, { sovereign });
  return JSON.parse(Testing.synth(stack, true));
}

/** The stack with each user_data replaced by its size and digest: the per-role cloud-init snapshots show content. */
function forSnapshot(json: any): any {
  const copy = structuredClone(json);
  for (const server of Object.values<any>(copy.resource.hcloud_server)) {
    server.user_data = `<user_data: ${Buffer.byteLength(server.user_data)} bytes; content in userdata.test.ts.snap>`;
  }
  return copy;
}

const servers = (json: any) => Object.values<any>(json.resource.hcloud_server);

describe("solo Sovereign (the example)", () => {
  const json = synth(sovereignWith());

  test("matches the snapshot", () => {
    expect(forSnapshot(json)).toMatchSnapshot();
  });

  test("network 10.0.0.0/16 with one cloud subnet 10.0.1.0/24 in eu-central", () => {
    expect(Object.values<any>(json.resource.hcloud_network)).toEqual([expect.objectContaining({ name: "catalyst-omantel-omani-works-net", ip_range: "10.0.0.0/16" })]);
    expect(Object.values<any>(json.resource.hcloud_network_subnet)).toEqual([expect.objectContaining({ type: "cloud", ip_range: "10.0.1.0/24", network_zone: "eu-central" })]);
  });

  test("firewall: ICMP only, since no SSH or API sources are listed", () => {
    const [fw] = Object.values<any>(json.resource.hcloud_firewall);
    expect(fw.rule.map((r: any) => [r.protocol, r.port ?? null, r.source_ips])).toEqual([["icmp", null, ["0.0.0.0/0", "::/0"]]]);
    for (const server of servers(json)) expect(server.firewall_ids).toEqual(["${hcloud_firewall.Firewall_E7948B04.id}"]);
  });

  test("one control-plane server, ubuntu-24.04 cx43 at 10.0.1.2, in a spread group, never replaced for user data, keys or image", () => {
    expect(servers(json)).toHaveLength(1);
    const [cp] = servers(json);
    expect(cp).toMatchObject({
      name: "catalyst-omantel-omani-works-cp-1",
      image: "ubuntu-24.04",
      server_type: "cx43",
      location: "fsn1",
      network: [{ ip: "10.0.1.2" }],
      lifecycle: { ignore_changes: ["user_data", "ssh_keys", "image"] },
      labels: { "catalyst.openova.io/role": "control-plane", "catalyst.openova.io/sovereign": "omantel.omani.works" },
    });
    expect(Object.values<any>(json.resource.hcloud_placement_group)).toEqual([expect.objectContaining({ type: "spread", name: "catalyst-omantel-omani-works-cp" })]);
  });

  test("load balancer: lb11 round robin, fixed private IP, services 80, 443 and 6443 with health checks", () => {
    const [lb] = Object.values<any>(json.resource.hcloud_load_balancer);
    expect(lb).toMatchObject({ name: "catalyst-omantel-omani-works-lb", load_balancer_type: "lb11", location: "fsn1", algorithm: { type: "round_robin" } });
    expect(Object.values<any>(json.resource.hcloud_load_balancer_network)).toEqual([expect.objectContaining({ ip: "10.0.1.5" })]);
    const services = Object.values<any>(json.resource.hcloud_load_balancer_service)
      .map((s) => [s.listen_port, s.destination_port, s.health_check.protocol, s.health_check.http?.path ?? null])
      .sort((a, b) => a[0] - b[0]);
    expect(services).toEqual([
      [80, 31080, "tcp", null],
      [443, 31443, "tcp", null],
      [6443, 6443, "tcp", null],
    ]);
    expect(Object.values<any>(json.resource.hcloud_load_balancer_target)).toEqual([expect.objectContaining({ type: "server", use_private_ip: true })]);
  });

  test("the API's health check is TCP: an HTTP check would carry no Host and k3s refuses anonymous /readyz", () => {
    const api = Object.values<any>(json.resource.hcloud_load_balancer_service).find((s) => s.listen_port === 6443);
    expect(api.health_check).toEqual({ protocol: "tcp", port: 6443, interval: 10, timeout: 5, retries: 3 });
    // No k3s flag re-opens anonymous access to the API for a check that no longer needs it.
    expect(JSON.stringify(json)).not.toContain("anonymous-auth");
  });

  test("an HTTP health check always sends a Host (domain)", () => {
    const s = new TerraformStack(new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "cdktf.outdir.")) }), "s");
    const network = new SovereignNetwork(s, "Network", { name: "p-net", location: "fsn1" });
    new HetznerLoadBalancer(s, "LoadBalancer", {
      name: "p-lb",
      location: "fsn1",
      network,
      services: [{ listenPort: 443, destinationPort: 8443, healthCheck: { kind: "https", path: "/healthz", domain: "api.example.com" } }],
    });
    const [service] = Object.values<any>(JSON.parse(Testing.synth(s)).resource.hcloud_load_balancer_service);
    expect(service.health_check).toMatchObject({ protocol: "http", http: { domain: "api.example.com", path: "/healthz", tls: true } });
  });

  test("server and agent tokens: random, 64 letters and digits, no specials", () => {
    expect(Object.keys(json.resource.random_password).sort()).toEqual(["AgentToken", "ClusterToken"]);
    for (const token of Object.values<any>(json.resource.random_password)) expect(token).toEqual({ length: 64, special: false });
  });

  test("every labelable resource carries the sovereign label", () => {
    for (const type of ["hcloud_network", "hcloud_firewall", "hcloud_ssh_key", "hcloud_load_balancer", "hcloud_placement_group", "hcloud_server"]) {
      for (const resource of Object.values<any>(json.resource[type])) expect(resource.labels).toMatchObject({ "catalyst.openova.io/sovereign": "omantel.omani.works" });
    }
  });

  test("secret variables are sensitive and validated", () => {
    for (const name of ["hcloud_token", "hcloud_ccm_token", "ghcr_pull_token", "kubeconfig_bearer_token"]) {
      expect(json.variable[name]).toMatchObject({ sensitive: true, type: "string", default: "" });
      expect(json.variable[name].validation[0].error_message).toContain(`TF_VAR_${name}`);
    }
    expect(json.provider.hcloud).toEqual([{ token: "${var.hcloud_token}" }]);
  });

  test("providers keep version ranges", () => {
    expect(json.terraform.required_providers).toEqual({
      hcloud: { source: "hetznercloud/hcloud", version: "~> 1.68" },
      random: { source: "hashicorp/random", version: "~> 3.7" },
    });
  });

  test("local state at a path relative to the project", () => {
    expect(json.terraform.backend).toEqual({ local: { path: "../../../terraform.omantel-omani-works.tfstate" } });
  });

  test("outputs: the reference's plus the API endpoint and private addresses", () => {
    expect(Object.keys(json.output).sort()).toEqual(
      ["console_url", "control_plane_ip", "control_plane_private_ips", "gitops_repo_url", "kubernetes_api_endpoint", "load_balancer_ip", "load_balancer_private_ip", "server_names", "sovereign_fqdn", "worker_private_ips"].sort(),
    );
    expect(json.output.console_url.value).toBe("https://console.omantel.omani.works");
    expect(json.output.gitops_repo_url.value).toBe("https://github.com/openova-io/openova//clusters/_template");
    expect(json.output.kubernetes_api_endpoint.value).toBe("https://${hcloud_load_balancer.LoadBalancer_BE9EEC3A.ipv4}:6443");
  });

  test("gitops_repo_url names the layout's tree: clusters/<fqdn> with gitops.layout per-fqdn", () => {
    const perFqdn = synth(sovereignWith({ gitops: { layout: "per-fqdn" } }));
    expect(perFqdn.output.gitops_repo_url.value).toBe("https://github.com/openova-io/openova//clusters/omantel.omani.works");
  });
});

describe("HA Sovereign with 3 workers in sin", () => {
  const json = synth(sovereignWith(HA_SIN));

  test("matches the snapshot", () => {
    expect(forSnapshot(json)).toMatchSnapshot();
  });

  test("subnet in ap-southeast", () => {
    expect(Object.values<any>(json.resource.hcloud_network_subnet)[0].network_zone).toBe("ap-southeast");
  });

  test("three control-plane servers at .2-.4 and three workers from .10, all load-balanced servers on private IPs", () => {
    const byRole = (role: string) => servers(json).filter((s) => s.labels["catalyst.openova.io/role"] === role);
    expect(byRole("control-plane").map((s) => [s.name, s.network[0].ip, s.server_type])).toEqual([
      ["catalyst-omantel-omani-works-cp-1", "10.0.1.2", "ccx23"],
      ["catalyst-omantel-omani-works-cp-2", "10.0.1.3", "ccx23"],
      ["catalyst-omantel-omani-works-cp-3", "10.0.1.4", "ccx23"],
    ]);
    expect(byRole("worker").map((s) => [s.name, s.network[0].ip, s.server_type])).toEqual([
      ["catalyst-omantel-omani-works-worker-1", "10.0.1.10", "cpx32"],
      ["catalyst-omantel-omani-works-worker-2", "10.0.1.11", "cpx32"],
      ["catalyst-omantel-omani-works-worker-3", "10.0.1.12", "cpx32"],
    ]);
    expect(Object.keys(json.resource.hcloud_load_balancer_target)).toHaveLength(3);
  });

  test("every server joins the cloud subnet by subnet_id with alias_ips = [] (no network_id: no detach on apply, no last-subnet pick)", () => {
    const [subnetId] = Object.keys(json.resource.hcloud_network_subnet);
    expect(servers(json)).toHaveLength(6);
    for (const server of servers(json)) {
      expect(server.network).toEqual([{ subnet_id: `\${hcloud_network_subnet.${subnetId}.id}`, ip: server.network[0].ip, alias_ips: [] }]);
    }
  });

  test("servers 2 and 3 are created after server 1 and its load balancer target; workers after the control plane", () => {
    const [cp1, cp2, cp3, w1] = Object.keys(json.resource.hcloud_server).map((k) => json.resource.hcloud_server[k]);
    const cp1Ref = "hcloud_server.ControlPlane_Server1_8E89D869";
    expect(cp1.depends_on).not.toContain(cp1Ref);
    for (const joining of [cp2, cp3]) {
      expect(joining.depends_on).toContain(cp1Ref);
      expect(joining.depends_on.some((d: string) => d.startsWith("hcloud_load_balancer_target."))).toBe(true);
    }
    expect(w1.depends_on).toEqual(expect.arrayContaining([cp1Ref]));
    expect(w1.depends_on.filter((d: string) => d.startsWith("hcloud_server."))).toHaveLength(3);
  });
});

describe("bigger pools", () => {
  test("workers are spread in placement groups of at most 10", () => {
    const json = synth(sovereignWith({ workers: { count: 25 } }));
    const groups = Object.values<any>(json.resource.hcloud_placement_group).map((g) => g.name);
    expect(groups).toEqual(["catalyst-omantel-omani-works-cp", "catalyst-omantel-omani-works-workers-1", "catalyst-omantel-omani-works-workers-2", "catalyst-omantel-omani-works-workers-3"]);
    const perGroup = new Map<string, number>();
    for (const s of servers(json)) perGroup.set(s.placement_group_id, (perGroup.get(s.placement_group_id) ?? 0) + 1);
    expect([...perGroup.values()].sort((a, b) => a - b)).toEqual([1, 5, 10, 10]);
  });

  test("SSH and API rules appear only for listed sources; protection reaches servers, LB and network", () => {
    const json = synth(sovereignWith({ ssh: { allowedCidrs: ["203.0.113.0/24"] }, firewall: { apiAllowedCidrs: ["2001:db8::/32"] }, protection: { enabled: true } }));
    const [fw] = Object.values<any>(json.resource.hcloud_firewall);
    expect(fw.rule.map((r: any) => [r.protocol, r.port ?? null, r.source_ips])).toEqual([
      ["icmp", null, ["0.0.0.0/0", "::/0"]],
      ["tcp", "22", ["203.0.113.0/24"]],
      ["tcp", "6443", ["2001:db8::/32"]],
    ]);
    expect(servers(json)[0]).toMatchObject({ delete_protection: true, rebuild_protection: true });
    expect(Object.values<any>(json.resource.hcloud_load_balancer)[0].delete_protection).toBe(true);
    expect(Object.values<any>(json.resource.hcloud_network)[0].delete_protection).toBe(true);
  });

  test("an S3 state block selects the S3 backend with a lock file and a key per stack", () => {
    const json = synth(sovereignWith({ state: { backend: "s3", bucket: "sovereign-state", endpoint: "https://fsn1.your-objectstorage.com" } }));
    expect(json.terraform.backend.s3).toMatchObject({
      bucket: "sovereign-state",
      key: "sovereigns/omantel-omani-works.tfstate",
      region: "fsn1",
      endpoints: { s3: "https://fsn1.your-objectstorage.com" },
      use_lockfile: true,
      use_path_style: true,
    });
  });

  test("a remote state block selects HCP Terraform with a workspace per stack", () => {
    const json = synth(sovereignWith({ state: { backend: "remote", organization: "openova", workspacePrefix: "sovereign-" } }));
    expect(json.terraform.backend.remote).toEqual({ hostname: "app.terraform.io", organization: "openova", workspaces: { name: "sovereign-omantel-omani-works" } });
  });
});

describe("README: rebuild one node", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const rebuild = readme.slice(readme.indexOf("- **Rebuild one node**"), readme.indexOf("- **Several Sovereigns in one Hetzner project**"));
  /** Code spans and fenced blocks of a Markdown text. */
  const code = (text: string) => [...text.matchAll(/```[^\n]*\n([\s\S]*?)```|`([^`\n]+)`/g)].map((m) => m[1] ?? m[2]);
  /** Terraform resource addresses named in code, placeholders (<address>) left out. */
  const addresses = (text: string) => [...new Set(code(text).flatMap((c) => [...c.matchAll(/\b(hcloud_[a-z_]+|random_[a-z_]+)\.([A-Za-z_][A-Za-z0-9_-]*)(?![<A-Za-z0-9_-])/g)].map((m) => `${m[1]}.${m[2]}`)))];

  test("every resource address the README's commands name exists in a synthesised stack", () => {
    const json = synth(sovereignWith({ ...HA_SIN, protection: { enabled: true } }));
    const named = addresses(readme);
    // Not vacuous: the rebuild procedure names real addresses, not only a placeholder.
    expect(addresses(rebuild).length).toBeGreaterThanOrEqual(2);
    for (const address of named) {
      const [type, id] = address.split(".");
      expect({ address, exists: Boolean(json.resource[type]?.[id]) }).toEqual({ address, exists: true });
    }
  });

  test("with protection on, the procedure lifts it with a deploy before -replace and restores it after", () => {
    const off = rebuild.indexOf("`protection.enabled: false`");
    const replace = rebuild.indexOf("terraform apply -replace=");
    const on = rebuild.indexOf("`protection.enabled: true` again");
    expect(off).toBeGreaterThan(-1);
    expect(replace).toBeGreaterThan(off);
    expect(rebuild.slice(off, replace)).toContain("npx cdktf deploy <stack>");
    expect(on).toBeGreaterThan(replace);
    expect(rebuild.slice(on)).toContain("npx cdktf deploy <stack>");
  });
});

describe("construct checks", () => {
  const scope = () => new TerraformStack(new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "cdktf.outdir.")) }), "s");

  test("fails on a firewall source with host bits, naming the prop and the fix", () => {
    expect(() => new SovereignFirewall(scope(), "Firewall", { name: "p-fw", sshAllowedCidrs: ["10.0.0.1/8"] })).toThrow(
      new ConstructPropError("s/Firewall", "sshAllowedCidrs[0]", 'is "10.0.0.1/8": has host bits set: the network is 10.0.0.0/8'),
    );
  });

  test("fails on a load balancer private IP outside the subnet", () => {
    const s = scope();
    const network = new SovereignNetwork(s, "Network", { name: "p-net", location: "fsn1" });
    expect(() => new HetznerLoadBalancer(s, "LoadBalancer", { name: "p-lb", location: "fsn1", network, privateIp: "10.0.2.5" })).toThrow(ConstructPropError);
    expect(() => new HetznerLoadBalancer(new Construct(s, "x"), "LoadBalancer", { name: "p-lb", location: "fsn1", network, loadBalancerType: "lb99" })).toThrow(/loadBalancerType is "lb99"; allowed: lb11, lb21, lb31/);
  });

  test("fails on a resource name that is not one lowercase DNS label, naming the prop", () => {
    expect(() => new SovereignNetwork(scope(), "Network", { name: "catalyst_net", location: "fsn1" })).toThrow(/^s\/Network: name is invalid: resource name "catalyst_net" is not one lowercase DNS label/);
    expect(() => new SovereignFirewall(scope(), "Firewall", { name: "x".repeat(64) })).toThrow(/^s\/Firewall: name is invalid/);
  });

  test("fails on a server name that is not a host and node name", () => {
    const s = sovereignWith();
    const broken = { ...s, names: { ...s.names, controlPlaneServers: ["Catalyst-CP-1", ...s.names.controlPlaneServers.slice(1)] } };
    expect(() => new SovereignStack(Testing.app(), "s", { sovereign: broken })).toThrow(/^s\/ControlPlane\/Server1: name is invalid: server name "Catalyst-CP-1" is not a Kubernetes node name/);
  });

  test("fails on an unknown location", () => {
    expect(() => new SovereignNetwork(scope(), "Network", { name: "p-net", location: "fra1" as never })).toThrow(/location is "fra1"; allowed: fsn1, nbg1, hel1, ash, hil, sin/);
  });
});

describe("Terraform checks the secret variables at plan", () => {
  const stack = { name: "omantel-omani-works", json: synth(sovereignWith()) };
  const good = { hcloud_token: "a".repeat(64), ghcr_pull_token: "ghp_TESTONLY0000000000000000000000000000", kubeconfig_bearer_token: "0f".repeat(32) };

  test.each([
    ["hcloud_token", ""],
    ["ghcr_pull_token", ""],
    ["kubeconfig_bearer_token", ""],
    ["kubeconfig_bearer_token", "NOT-HEX".repeat(9)],
    ["hcloud_ccm_token", "too-short"],
  ])("fails when %s is %j, naming TF_VAR_%s", (name, value) => {
    let error: unknown;
    try {
      evaluateUserData([stack], { ...good, [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EvaluationError);
    expect((error as Error).message).toContain(`TF_VAR_${name}`);
  });

  test("a broken escape fails with a readable, capped message, not gigabytes of repeated configuration", () => {
    // An unescaped ${ in every server's user data, as when the renderer's escape is lost.
    const broken = structuredClone(stack);
    for (const server of Object.values<any>(broken.json.resource.hcloud_server)) server.user_data = `\${unknown_thing.x}\n${server.user_data}\n${"x".repeat(20000)}\${another.y}`;
    let error: unknown;
    try {
      evaluateUserData([broken], good);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EvaluationError);
    const message = (error as Error).message;
    expect(message.length).toBeLessThan(MAX_ERROR_CHARS + 200);
    expect(message).toMatch(/^terraform (init|apply) failed:\n/);
    expect(message).toContain("Error: ");
    expect(message).toMatch(/\[\.\.\. Terraform's output of \d+ characters cut to \d+; [1-9]\d* error\(s\) in all\]$/);
    expect(message.split("\n").every((line) => line.length < 400)).toBe(true);
  });

  test("an empty GHCR token passes when the file says no pull Secret is needed", () => {
    const noPull = { name: "x", json: synth(sovereignWith({ registry: { pullSecret: false } })) };
    expect(evaluateUserData([noPull], { ...good, ghcr_pull_token: "" })).toHaveLength(1);
  });
});

describe("the app", () => {
  test("npm run synth and npx cdktf synth write the same stacks", () => {
    const outA = fs.mkdtempSync(path.join(os.tmpdir(), "synth-a-"));
    const outB = fs.mkdtempSync(path.join(os.tmpdir(), "synth-b-"));
    const env = { ...process.env, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: path.join(ROOT, ".ci", "terraformrc") };
    try {
      const direct = spawnSync("node", ["dist/main.js"], { cwd: ROOT, env: { ...env, CDKTF_OUTDIR: outA }, encoding: "utf8" });
      expect(direct.status).toBe(0);
      const cli = spawnSync("npx", ["cdktf", "synth", "--output", outB], { cwd: ROOT, env, encoding: "utf8" });
      expect(cli.status).toBe(0);
      const read = (dir: string) => fs.readFileSync(path.join(dir, "stacks", "omantel-omani-works", "cdk.tf.json"), "utf8");
      expect(read(outB)).toBe(read(outA));
    } finally {
      fs.rmSync(outA, { recursive: true, force: true });
      fs.rmSync(outB, { recursive: true, force: true });
    }
  });
});

describe("skipping cdktf's preparing pass changes nothing", () => {
  // SovereignStack.prepareStack skips cdktf's extra resolve of every element,
  // which only serves references between stacks. Synthesise a varied fleet
  // with cdktf's own prepareStack and with ours, and compare every file.
  const VARIANTS: Record<string, Record<string, unknown>> = {
    "solo.yaml": {},
    "ha.yaml": { fqdn: "ha.example.org", subdomain: "ha", ...HA_SIN },
    "k3s-ccm.yaml": { fqdn: "k3s.example.org", subdomain: "k3s", cloudController: "k3s", gitops: { layout: "per-fqdn" }, postback: null },
    "s3.yaml": {
      fqdn: "s3.example.org",
      subdomain: "s3",
      protection: { enabled: true },
      workers: { count: 2 },
      state: { backend: "s3", bucket: "tf-state", region: "eu-central-1", endpoint: "https://fsn1.your-objectstorage.com" },
    },
  };

  /** Every file of `outdir`, path → bytes. */
  function filesOf(outdir: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of fs.readdirSync(outdir, { recursive: true }) as string[]) {
      const file = path.join(outdir, name);
      if (fs.statSync(file).isFile()) out[name] = fs.readFileSync(file, "utf8");
    }
    return out;
  }

  /** Synthesises the variants (plus `extra` on the app) with cdktf's prepareStack or ours. */
  function synthesise(prepare: "cdktf" | "ours", extra?: (stacks: SovereignStack[]) => void): Record<string, string> {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "prepare-"));
    const ours = Object.getOwnPropertyDescriptor(SovereignStack.prototype, "prepareStack")!;
    if (prepare === "cdktf") Object.defineProperty(SovereignStack.prototype, "prepareStack", { ...ours, value: TerraformStack.prototype.prepareStack });
    try {
      const dir = path.join(work, "sovereigns");
      fs.mkdirSync(dir);
      for (const [name, changes] of Object.entries(VARIANTS)) fs.writeFileSync(path.join(dir, name), yaml.dump(exampleWith(changes)));
      const sovereigns = loadSovereignSet(dir).sovereigns;
      const outdir = path.join(work, "out");
      const app = new App({ stackTraces: false, outdir });
      const stacks = addSovereignStacks(app, sovereigns);
      extra?.(stacks);
      withCheapTokenTraces(() => app.synth());
      return filesOf(outdir);
    } finally {
      Object.defineProperty(SovereignStack.prototype, "prepareStack", ours);
      fs.rmSync(work, { recursive: true, force: true });
    }
  }

  test("every file of a varied fleet is byte-identical with cdktf's prepareStack", () => {
    const withCdktf = synthesise("cdktf");
    expect(Object.keys(withCdktf).filter((name) => name.endsWith("cdk.tf.json"))).toHaveLength(Object.keys(VARIANTS).length);
    expect(synthesise("ours")).toEqual(withCdktf);
  });

  test("cdktf's own prepareStack is still a backend check plus the preparing resolve (after a cdktf upgrade, re-read it before changing this)", () => {
    const body = TerraformStack.prototype.prepareStack.toString().replace(/\/\/.*$/gm, "").replace(/\s+/g, " ");
    expect(body).toBe("prepareStack() { this.ensureBackendExists(); terraformElements(this).forEach((e) => (0, _tokens_1.resolve)(this, e.toTerraform(), true)); }");
  });

  test("the comparison would catch a reference between stacks (the one thing the skipped pass handles)", () => {
    const crossReference = (stacks: SovereignStack[]) => {
      new TerraformOutput(stacks[1], "borrowed_network", { value: stacks[0].network.network.id });
    };
    expect(synthesise("ours", crossReference)).not.toEqual(synthesise("cdktf", crossReference));
  });
});
