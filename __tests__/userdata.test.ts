import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TerraformStack, Testing, TerraformVariable } from "cdktf";
import * as yaml from "js-yaml";
import {
  CloudConfigConflictError,
  NODE_ROLES,
  RUNTIME_STAND_INS_MAX,
  composeCloudConfig,
  escapeTerraformTemplate,
  nodeCloudConfig,
  stepManifest,
  nodeSteps,
  renderCloudConfig,
  splitTokens,
} from "../userdata";
import { DEFAULT_FLUX_VERSION, FLUX_CHART_BY_RELEASE } from "../config/defaults";
import { CILIUM_RELEASE, ciliumValues, ciliumValuesToKeep } from "../userdata/cilium";
import { fluxBootstrapObjects, templateVariables } from "../userdata/flux-bootstrap";
import { resolveVersions } from "../userdata/versions";
import { hardeningStep, rebootTime } from "../userdata/hardening";
import { k3sConfig } from "../userdata/k3s";
import { stripShellComments } from "../userdata/private/shell";
import { sovereignJson } from "../userdata/sovereign-json";
import { gunzipSync } from "zlib";
import { RUNTIME_EXAMPLE, SAMPLE_NODE_NAME, bootInput, pyyamlLoad, requireTool, runcmdScript } from "./fixtures/boot";
import { sovereignWith } from "./fixtures/sovereigns";

/** A write_files item's content as cloud-init writes it. */
function decodeContent(file: { encoding?: string; content: string }): string {
  if (file.encoding === "b64") return Buffer.from(file.content, "base64").toString("utf8");
  if (file.encoding === "gz+b64") return gunzipSync(Buffer.from(file.content, "base64")).toString("utf8");
  return file.content;
}
import { ROOT } from "./fixtures/sovereigns";

const SCRIPTS_DIR = path.join(ROOT, "userdata", "scripts");

describe("k3s configuration", () => {
  test("first server starts etcd and lists every address it is reached at", () => {
    expect(k3sConfig(bootInput("first-server"))).toEqual({
      token: RUNTIME_EXAMPLE.clusterToken,
      "node-ip": "10.0.1.2",
      "node-name": "catalyst-omantel-omani-works-cp-1",
      "node-label": ["catalyst.openova.io/role=control-plane"],
      "kubelet-arg": ["cloud-provider=external"],
      "cluster-init": true,
      "agent-token": RUNTIME_EXAMPLE.agentToken,
      "tls-san": ["omantel.omani.works", "203.0.113.10", "10.0.1.5"],
      "flannel-backend": "none",
      "disable-network-policy": true,
      disable: ["traefik", "servicelb"],
      "disable-kube-proxy": true,
      "disable-cloud-controller": true,
      "write-kubeconfig-mode": "0600",
    });
  });

  test("joining servers join server 1's etcd through the load balancer's private IP, never cluster-init", () => {
    const config = k3sConfig(bootInput("joining-server", { controlPlane: { ha: true } }));
    expect(config.server).toBe("https://10.0.1.5:6443");
    expect(config["cluster-init"]).toBeUndefined();
    expect(config["node-ip"]).toBe("10.0.1.3");
    expect(config["tls-san"]).toEqual(["omantel.omani.works", "203.0.113.10", "10.0.1.5"]);
    expect(config.token).toBe(RUNTIME_EXAMPLE.clusterToken);
  });

  test("every role waits for its node-ip; servers 2-3 and agents also wait for the cluster at the join address", () => {
    expect(nodeSteps(bootInput("agent")).find((s) => s.step === "k3s")!.command).toEqual([
      "/usr/local/lib/catalyst/k3s-install.sh", "v1.31.4+k3s1", "agent", "10.0.1.10", "300", "https://10.0.1.5:6443", "1200",
    ]);
    expect(nodeSteps(bootInput("joining-server", { controlPlane: { ha: true } })).find((s) => s.step === "k3s")!.command).toEqual([
      "/usr/local/lib/catalyst/k3s-install.sh", "v1.31.4+k3s1", "server", "10.0.1.3", "300", "https://10.0.1.5:6443", "1200",
    ]);
    expect(nodeSteps(bootInput("first-server")).find((s) => s.step === "k3s")!.command).toEqual(["/usr/local/lib/catalyst/k3s-install.sh", "v1.31.4+k3s1", "server", "10.0.1.2", "300"]);
  });

  test("agents carry only agent flags and only the agent token (server-only flags make k3s agent exit)", () => {
    expect(k3sConfig(bootInput("agent"))).toEqual({
      token: RUNTIME_EXAMPLE.agentToken,
      "node-ip": "10.0.1.10",
      "node-name": "catalyst-omantel-omani-works-worker-1",
      "node-label": ["catalyst.openova.io/role=worker"],
      "kubelet-arg": ["cloud-provider=external"],
      server: "https://10.0.1.5:6443",
    });
  });

  test.each(NODE_ROLES)("%s with cloudController hcloud (the default): named after its server, kubelet waits for the cloud controller, servers leave k3s's off", (role) => {
    const config = k3sConfig(bootInput(role));
    expect(config["node-name"]).toBe(SAMPLE_NODE_NAME[role]);
    expect(config["kubelet-arg"]).toEqual(["cloud-provider=external"]);
    expect(config["disable-cloud-controller"]).toBe(role === "agent" ? undefined : true);
  });

  test.each(NODE_ROLES)("%s with cloudController k3s: today's configuration, k3s's own cloud controller", (role) => {
    const config = k3sConfig(bootInput(role, { cloudController: "k3s" }));
    expect([config["node-name"], config["kubelet-arg"], config["disable-cloud-controller"]]).toEqual([undefined, undefined, undefined]);
  });

  test("local-storage stays by default and goes only when the file says localStorage: false", () => {
    expect(k3sConfig(bootInput("first-server")).disable).toEqual(["traefik", "servicelb"]);
    expect(k3sConfig(bootInput("first-server", { k3s: { localStorage: false } })).disable).toEqual(["traefik", "servicelb", "local-storage"]);
  });
});

describe("boot steps per role", () => {
  test.each([
    ["first-server", ["step-runner", "prep", "hardening", "sovereign-json", "k3s", "api-ready", "kubeconfig-postback", "cilium", "metadata-policy", "hcloud-ccm", "default-storage-class", "flux", "pull-secret", "flux-bootstrap", "complete"]],
    ["joining-server", ["step-runner", "prep", "hardening", "sovereign-json", "k3s", "complete"]],
    ["agent", ["step-runner", "prep", "hardening", "sovereign-json", "k3s", "complete"]],
  ] as const)("%s runs its steps in order", (role, steps) => {
    expect(nodeSteps(bootInput(role)).map((s) => s.step)).toEqual(steps);
  });

  test("without a postback block there is no postback, no bearer file", () => {
    const steps = nodeSteps(bootInput("first-server", { postback: null }));
    expect(steps.map((s) => s.step)).not.toContain("kubeconfig-postback");
    expect(steps.flatMap((s) => s.files ?? []).map((f) => f.path)).not.toContain("/etc/catalyst/postback-bearer");
  });

  test("without a pull Secret there is no pull-secret step", () => {
    expect(nodeSteps(bootInput("first-server", { registry: { pullSecret: false } })).map((s) => s.step)).not.toContain("pull-secret");
  });

  test("the pull Secret is applied before the Flux objects that need it", () => {
    const steps = nodeSteps(bootInput("first-server")).map((s) => s.step);
    expect(steps.indexOf("pull-secret")).toBeLessThan(steps.indexOf("flux-bootstrap"));
    expect(steps.indexOf("cilium")).toBeLessThan(steps.indexOf("flux"));
  });

  test("every command runs under the step runner, which names the step", () => {
    const config = nodeCloudConfig(bootInput("first-server"));
    for (const command of config.runcmd) expect(command[0]).toBe("catalyst-step");
    expect(config.write_files.map((f) => f.path)).toContain("/usr/local/sbin/catalyst-step");
    expect(config.runcmd.map((c) => c[1])).toContain("complete");
    expect(config.runcmd[config.runcmd.length - 1]).toEqual(["catalyst-step", "complete", "touch", "/var/lib/catalyst/cloud-init-complete"]);
  });

  test("hardening off leaves only the sshd drop-in", () => {
    const fragment = hardeningStep(bootInput("agent", { hardening: { fail2ban: false, unattendedUpgrades: false } }));
    expect(fragment.files!.map((f) => f.path)).toEqual(["/etc/ssh/sshd_config.d/00-catalyst-hardening.conf"]);
    expect(fragment.packages).toEqual([]);
    expect(fragment.command).toBeUndefined();
  });

  test("unattended upgrades are limited to the security pockets; server 1 may reboot at 02:30", () => {
    const file = hardeningStep(bootInput("first-server")).files!.find((f) => f.path.endsWith("52unattended-upgrades-catalyst"))!;
    expect(file.content).toContain('"${distro_id}:${distro_codename}-security";');
    expect(file.content).not.toMatch(/-updates"/);
    expect(file.content).toContain('Unattended-Upgrade::Automatic-Reboot-Time "02:30";');
  });

  test("the security pockets replace the distribution's origins instead of adding to them", () => {
    const file = hardeningStep(bootInput("first-server")).files!.find((f) => f.path.endsWith("52unattended-upgrades-catalyst"))!;
    const lines = file.content.split("\n");
    expect(lines.indexOf("#clear Unattended-Upgrade::Allowed-Origins;")).toBeLessThan(lines.indexOf("Unattended-Upgrade::Allowed-Origins {"));
    expect(lines.indexOf("#clear Unattended-Upgrade::Allowed-Origins;")).toBeGreaterThan(0);
    expect(lines).toContain("#clear Unattended-Upgrade::Origins-Pattern;");
    expect(file.content).not.toContain("Unattended-Upgrade::Origins-Pattern {");
  });

  test.each([
    ["10.0.1.2", "02:30"],
    ["10.0.1.3", "03:00"],
    ["10.0.1.4", "03:30"],
    ["10.0.1.10", "04:00"],
    ["10.0.1.21", "05:50"],
    ["10.0.1.22", "04:00"],
  ])("reboots are staggered: %s may reboot at %s", (ip, time) => {
    expect(rebootTime(ip)).toBe(time);
  });

  test("the step manifest names each step's packages and the secret files only that step uses", () => {
    const config = nodeCloudConfig(bootInput("first-server"));
    const manifest = config.write_files.find((f) => f.path === "/etc/catalyst/steps")!;
    expect(manifest.content).toBe(
      [
        "prep curl iptables jq ca-certificates git",
        "hardening unattended-upgrades apt-listchanges fail2ban python3-systemd",
        "kubeconfig-postback /etc/catalyst/postback-bearer",
        "hcloud-ccm /var/lib/catalyst/hcloud-secret.yaml",
        "pull-secret /var/lib/catalyst/ghcr-pull-secret.yaml",
        "",
      ].join("\n"),
    );
    expect(manifest.permissions).toBe("0600");
    expect(nodeCloudConfig(bootInput("agent")).write_files.find((f) => f.path === "/etc/catalyst/steps")!.content).toBe(
      "prep curl iptables jq ca-certificates git\nhardening unattended-upgrades apt-listchanges fail2ban python3-systemd\n",
    );
  });

  test.each(NODE_ROLES)("%s can resume: it carries the step runner (catalyst-step --resume) and a step manifest", (role) => {
    const paths = nodeCloudConfig(bootInput(role)).write_files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(["/usr/local/sbin/catalyst-step", "/etc/catalyst/steps"]));
  });

  test("a secret file is owned by the step that declares it, generically: any step's flagged file lands in the manifest", () => {
    const secret = { path: "/etc/catalyst/any-token", content: "t", permissions: "0600" as const, removeOnFailure: true };
    expect(stepManifest([{ step: "a", packages: ["jq"] }, { step: "ccm-token", files: [secret], command: ["true"] }, { step: "b" }])).toBe("a jq\nccm-token /etc/catalyst/any-token\n");
  });

  test("fails when a step has secret files but no command that would use them", () => {
    const secret = { path: "/etc/catalyst/t", content: "t", permissions: "0600" as const, removeOnFailure: true };
    expect(() => stepManifest([{ step: "orphan", files: [secret] }])).toThrow(new CloudConfigConflictError("step orphan has secret files but no command that would use them"));
  });
});

describe("cluster bootstrap objects", () => {
  test("Cilium reaches the API on every node through k3s's local 6444", () => {
    expect(ciliumValues(bootInput("first-server"))).toEqual({
      kubeProxyReplacement: true,
      MTU: 1450,
      k8sServiceHost: "127.0.0.1",
      k8sServicePort: 6444,
      ipam: { mode: "kubernetes" },
      routingMode: "tunnel",
      tunnelProtocol: "vxlan",
      bpf: { masquerade: true },
      operator: { replicas: 1 },
    });
  });

  test("by default Flux builds the shared clusters/_template tree with the Sovereign's values substituted", () => {
    const [repo, kit, infra] = fluxBootstrapObjects(bootInput("first-server", { gitops: { repoUrl: "https://git.example.org/acme/gitops", branch: "release/1.2" } }));
    expect(repo.spec).toEqual({
      interval: "1m",
      url: "https://git.example.org/acme/gitops",
      ref: { branch: "release/1.2" },
      ignore: "/*\n!/clusters/_template\n!/platform\n!/products\n",
    });
    const substitute = { SOVEREIGN_FQDN: "omantel.omani.works", SOVEREIGN_SUBDOMAIN: "omantel", SOVEREIGN_LOCATION: "fsn1" };
    expect(kit.spec).toEqual({
      interval: "5m",
      path: "./clusters/_template/bootstrap-kit",
      prune: true,
      sourceRef: { kind: "GitRepository", name: "openova" },
      wait: true,
      timeout: "30m",
      postBuild: { substitute },
    });
    expect(infra.metadata.name).toBe("infrastructure-config");
    expect(infra.spec).toMatchObject({ path: "./clusters/_template/infrastructure", dependsOn: [{ name: "bootstrap-kit" }], wait: true, timeout: "30m", postBuild: { substitute } });
  });

  test("gitops.layout per-fqdn follows clusters/<fqdn>, without substitution", () => {
    const [repo, kit, infra] = fluxBootstrapObjects(bootInput("first-server", { gitops: { layout: "per-fqdn" } }));
    expect(repo.spec.ignore).toBe("/*\n!/clusters/omantel.omani.works\n!/platform\n!/products\n");
    expect(kit.spec.path).toBe("./clusters/omantel.omani.works/bootstrap-kit");
    expect(infra.spec.path).toBe("./clusters/omantel.omani.works/infrastructure");
    expect(kit.spec.postBuild).toBeUndefined();
    expect(infra.spec.postBuild).toBeUndefined();
  });

  test("every substitution variable of the template layout is documented in the README's GitOps section", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## GitOps"), readme.indexOf("\n## ", readme.indexOf("## GitOps") + 1));
    for (const name of Object.keys(templateVariables(sovereignWith()))) expect(section).toContain(`\${${name}}`);
  });

  test("the Cilium release is adoptable: name cilium in kube-system, and the README lists every value the GitOps side must keep", () => {
    expect(CILIUM_RELEASE).toEqual({ name: "cilium", namespace: "kube-system" });
    const script = fs.readFileSync(path.join(SCRIPTS_DIR, "cilium-install.sh"), "utf8");
    expect(script).toContain(`helm upgrade --install ${CILIUM_RELEASE.name} `);
    expect(script).toContain(`--namespace ${CILIUM_RELEASE.namespace} `);
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## GitOps"), readme.indexOf("\n## ", readme.indexOf("## GitOps") + 1));
    for (const [key, value] of Object.entries(ciliumValuesToKeep(ciliumValues(bootInput("first-server"))))) expect(section).toContain(`\`${key}: ${value}\``);
    for (const word of ["releaseName: cilium", "targetNamespace: kube-system", "storageNamespace: kube-system", "127.0.0.1", "6444"]) expect(section).toContain(word);
  });

  test("the boot-time Flux equals the appVersion of the flux2 chart the GitOps side must use (v2.4.0 = chart 2.14.1)", () => {
    expect(DEFAULT_FLUX_VERSION).toBe("v2.4.0");
    expect(resolveVersions(sovereignWith())).toMatchObject({ flux: "v2.4.0", fluxChart: "2.14.1" });
    expect(resolveVersions(sovereignWith({ versions: { flux: "v2.5.1" } }))).toMatchObject({ flux: "v2.5.1", fluxChart: "2.15.0" });
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    for (const [flux, chart] of Object.entries(FLUX_CHART_BY_RELEASE)) expect(readme).toMatch(new RegExp(`${flux.replace(/\./g, "\\.")}[^\n]*chart ${chart.replace(/\./g, "\\.")}`));
  });

  test("with local storage (the default) the first server marks local-path the default StorageClass before Flux, waiting for the object, not a pod", () => {
    const steps = nodeSteps(bootInput("first-server"));
    const names = steps.map((s) => s.step);
    const storage = steps.find((s) => s.step === "default-storage-class")!;
    expect(storage.command).toEqual([
      "/usr/local/lib/catalyst/kubectl-until.sh", "300", "annotate", "--overwrite", "storageclass", "local-path", "storageclass.kubernetes.io/is-default-class=true",
    ]);
    expect(names.indexOf("default-storage-class")).toBeGreaterThan(names.indexOf("api-ready"));
    expect(names.indexOf("default-storage-class")).toBeLessThan(names.indexOf("flux"));
    expect(names.indexOf("default-storage-class")).toBeLessThan(names.indexOf("flux-bootstrap"));
    expect(nodeSteps(bootInput("first-server", { k3s: { localStorage: false } })).map((s) => s.step)).not.toContain("default-storage-class");
    expect(nodeSteps(bootInput("agent")).map((s) => s.step)).not.toContain("default-storage-class");
  });

  /** Waits for pods or for what pods make ready; no pod is Ready before the CNI (Cilium) runs. */
  const POD_WAITS = [
    /--for=condition=(Ready|Available|ContainersReady|Initialized|PodScheduled)\b/i,
    /\brollout\s+status\b/,
    /\b(get|wait|describe|logs)[ \t]+([^\s]+[ \t]+)*?(pods?|po|deployments?|deploy|daemonsets?|ds|statefulsets?|sts)\b/,
    /\/api\/v1\/(namespaces\/[^/\s]+\/)?pods\b/,
  ];

  test.each([
    ["defaults", {}],
    ["cloudController k3s", { cloudController: "k3s" }],
    ["no postback, no local storage", { postback: null, k3s: { localStorage: false } }],
  ])("%s: no step before Cilium, on any role, waits for a pod, in its arguments or in the scripts it ships and runs", (_name, changes) => {
    const unescape = (s: string) => s.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
    let scanned = 0;
    for (const role of NODE_ROLES) {
      const input = bootInput(role, changes);
      const steps = nodeSteps(input);
      const cilium = steps.findIndex((s) => s.step === "cilium");
      expect(cilium >= 0).toBe(role === "first-server");
      // Roles without a Cilium step boot alongside the first server: every step of theirs may run before Cilium.
      const before = cilium < 0 ? steps : steps.slice(0, cilium);
      const shipped = (yaml.load(unescape(renderCloudConfig(nodeCloudConfig(input)))) as { write_files: { path: string; encoding?: string; content: string }[] }).write_files;
      const contentOf = new Map(shipped.map((f) => [f.path, decodeContent(f)]));
      for (const step of before) {
        const args = step.command ?? [];
        for (const pattern of POD_WAITS) expect({ step: step.step, args: args.join(" ") }).not.toEqual({ step: step.step, args: expect.stringMatching(pattern) });
        // The step's own files, and every shipped file its command names (the script it runs, shared helpers).
        const paths = new Set([...(step.files ?? []).map((f) => f.path), ...args.filter((a) => contentOf.has(a))]);
        for (const file of paths) {
          const content = contentOf.get(file)!;
          if (!content.startsWith("#!")) continue;
          scanned++;
          const code = stripShellComments(content, file);
          for (const pattern of POD_WAITS) expect({ step: step.step, file, code }).not.toEqual({ step: step.step, file, code: expect.stringMatching(pattern) });
        }
      }
    }
    expect(scanned).toBeGreaterThan(0);
  });

  test("the pod-wait patterns catch the waits the post-Cilium scripts make", () => {
    for (const script of ["cilium-install.sh", "hcloud-ccm-install.sh", "flux-install.sh"]) {
      const code = stripShellComments(fs.readFileSync(path.join(SCRIPTS_DIR, script), "utf8"), script);
      expect(POD_WAITS.some((p) => p.test(code))).toBe(true);
    }
    for (const wait of ["k3s kubectl wait --for=condition=Ready pod --all", "kubectl get pods -A", "kubectl -n x get po", "kubectl wait -n kube-system --timeout=60s pod/x --for=delete"])
      expect(POD_WAITS.some((p) => p.test(wait))).toBe(true);
  });

  test("sovereign.json has the reference's keys and the file's values", () => {
    expect(sovereignJson(bootInput("agent", { workers: { count: 3 } }))).toEqual({
      sovereignFQDN: "omantel.omani.works",
      sovereignSubdomain: "omantel",
      orgName: "Omantel",
      orgEmail: "ops@omantel.om",
      region: "fsn1",
      haEnabled: false,
      workerCount: 3,
      k3sVersion: "v1.31.4+k3s1",
      gitopsRepoUrl: "https://github.com/openova-io/openova",
      gitopsBranch: "main",
    });
  });
});

describe("composition", () => {
  test("fails when two steps write one path with different content", () => {
    const file = { path: "/etc/x", content: "x", permissions: "0644" as const };
    expect(() => composeCloudConfig([{ step: "a", files: [file] }, { step: "b", files: [{ ...file, content: "y" }] }], { stepRunner: "/r", finalMessage: "m" })).toThrow(
      new CloudConfigConflictError("/etc/x is written by both step a and step b"),
    );
  });

  test("a file two steps declare identically (a shared script) is written once; a shared secret is refused", () => {
    const file = { path: "/etc/x", content: "x", permissions: "0755" as const };
    const config = composeCloudConfig([{ step: "a", files: [file] }, { step: "b", files: [{ ...file }] }], { stepRunner: "/r", finalMessage: "m" });
    expect(config.write_files).toEqual([file]);
    const secret = { ...file, removeOnFailure: true };
    expect(() => composeCloudConfig([{ step: "a", files: [secret], command: ["true"] }, { step: "b", files: [secret], command: ["true"] }], { stepRunner: "/r", finalMessage: "m" })).toThrow(
      CloudConfigConflictError,
    );
  });

  test("fails when a step is named twice", () => {
    expect(() => composeCloudConfig([{ step: "a" }, { step: "a" }], { stepRunner: "/r", finalMessage: "m" })).toThrow(CloudConfigConflictError);
  });

  test("packages are de-duplicated in first-seen order", () => {
    const config = composeCloudConfig([{ step: "a", packages: ["curl", "jq"] }, { step: "b", packages: ["jq", "git"] }], { stepRunner: "/r", finalMessage: "m" });
    expect(config.packages).toEqual(["curl", "jq", "git"]);
  });
});

describe("rendering", () => {
  const render = (role: (typeof NODE_ROLES)[number], changes: Record<string, unknown> = {}) => renderCloudConfig(nodeCloudConfig(bootInput(role, changes)));
  /** Undoes the Terraform escaping, as Terraform does when it evaluates a literal. */
  const unescape = (s: string) => s.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");

  test.each(NODE_ROLES)("%s: the rendered document parsed by PyYAML equals the typed object", (role) => {
    const input = bootInput(role);
    const parsed = pyyamlLoad(unescape(render(role)));
    const config = nodeCloudConfig(input);
    expect(parsed.runcmd).toEqual(config.runcmd);
    expect(parsed.packages).toEqual(config.packages);
    expect(parsed.final_message).toBe(config.final_message);
    for (const [i, file] of config.write_files.entries()) {
      const rendered = parsed.write_files[i];
      expect(rendered.path).toBe(file.path);
      expect(rendered.permissions).toBe(file.permissions);
      const content = decodeContent(rendered);
      expect(content).toBe(file.content);
    }
  });

  test.each(NODE_ROLES)("%s: rendered cloud-init, encoded files decoded for reading, matches the snapshot", (role) => {
    const parsed = pyyamlLoad(unescape(render(role)));
    for (const file of parsed.write_files) {
      if (file.encoding) file.content = `<${file.encoding}, decoded:>\n${decodeContent(file)}`;
    }
    expect(yaml.dump(parsed, { lineWidth: -1, noArrayIndent: true })).toMatchSnapshot();
  });

  test("scripts are delivered gzip-compressed; runtime files base64; the rest as plain text", () => {
    const parsed = pyyamlLoad(unescape(render("first-server")));
    const encodings = Object.fromEntries(parsed.write_files.map((f: any) => [f.path, f.encoding ?? "plain"]));
    expect(encodings["/usr/local/lib/catalyst/kubeconfig-postback.sh"]).toBe("gz+b64");
    expect(encodings["/etc/rancher/k3s/config.yaml"]).toBe("b64");
    expect(encodings["/var/lib/catalyst/sovereign.json"]).toBe("plain");
  });

  test.each([
    `O'Brien "Ops" & Partners`,
    "Price $5 ${var.x} %{if true}x%{endif} `id` $(reboot) # c: - d",
    "yes",
    "0644",
    "null",
    "Société Générale — 東京 ✓",
    "a\\nb\\\\",
  ])("org name %j reaches sovereign.json byte for byte", (name) => {
    const parsed = pyyamlLoad(unescape(render("agent", { org: { name } })));
    const file = parsed.write_files.find((f: { path: string }) => f.path === "/var/lib/catalyst/sovereign.json");
    expect(JSON.parse(file.content).orgName).toBe(name);
  });

  test("literal ${ and %{ are escaped for Terraform; tokens are left alone", () => {
    const stack = new TerraformStack(Testing.app(), "t");
    const v = new TerraformVariable(stack, "v", { type: "string" });
    const token = v.stringValue;
    const text = `a \${x} %{y} ${token} $\${z}`;
    const escaped = escapeTerraformTemplate(text);
    expect(splitTokens(escaped).filter((p) => !p.literal).map((p) => p.text)).toEqual([token]);
    expect(escaped.replace(token, "<T>")).toBe("a $${x} %%{y} <T> $$${z}");
  });

  // 16 KiB until issue 10: the cloud controller and the metadata policy add
  // about 3.7 KiB to server 1 (values, Secret, policy, two scripts, steps).
  test("the example's first server fits the 20 KiB budget; every role's worst case fits Hetzner's 32 KiB", () => {
    expect(Buffer.byteLength(render("first-server"))).toBeLessThanOrEqual(20 * 1024);
    for (const role of NODE_ROLES) {
      const worst = renderCloudConfig(nodeCloudConfig({ ...bootInput(role, { org: { name: "O".repeat(200) }, gitops: { branch: "b".repeat(200) } }), runtime: RUNTIME_STAND_INS_MAX }));
      expect(Buffer.byteLength(worst)).toBeLessThan(32 * 1024);
    }
  });

  test("cloud-init's own schema check accepts every role's document", () => {
    if (!requireTool("cloud-init", "cloud-init schema validation")) return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cc-"));
    try {
      for (const role of NODE_ROLES) {
        const file = path.join(dir, `${role}.yaml`);
        fs.writeFileSync(file, unescape(render(role)));
        const result = spawnSync("cloud-init", ["schema", "--config-file", file], { encoding: "utf8" });
        expect({ role, status: result.status, out: result.stdout + result.stderr }).toEqual({ role, status: 0, out: expect.stringContaining("Valid") });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("scripts", () => {
  const scripts = fs.readdirSync(SCRIPTS_DIR).filter((f) => f.endsWith(".sh"));

  test.each(scripts)("%s passes shellcheck, as written and as shipped", (name) => {
    if (!requireTool("shellcheck", "shell script linting")) return;
    const source = fs.readFileSync(path.join(SCRIPTS_DIR, name), "utf8");
    for (const text of [source, stripShellComments(source, name)]) {
      const result = spawnSync("shellcheck", ["--severity=style", "--shell=bash", "-"], { input: text, encoding: "utf8" });
      expect(result.stdout + result.stderr).toBe("");
      expect(result.status).toBe(0);
    }
  });

  test("runcmd as cloud-init assembles it passes shellcheck", () => {
    if (!requireTool("shellcheck", "shell script linting")) return;
    const script = runcmdScript(nodeCloudConfig(bootInput("first-server")).runcmd);
    const result = spawnSync("shellcheck", ["--severity=style", "-"], { input: script, encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
  });

  test("fails to ship a script with a here-document, whose lines comment stripping could corrupt", () => {
    expect(() => stripShellComments("#!/bin/bash\ncat <<EOF\n# kept\nEOF\n", "x.sh")).toThrow(/here-documents/);
  });

  test("shipping keeps the shebang and every command line, drops comments", () => {
    expect(stripShellComments("#!/bin/bash\n# doc\nset -eu\n\n  # indented\necho '#not a comment'\n", "x.sh")).toBe(
      "#!/bin/bash\n# userdata/scripts/x.sh (sovereign-cdktf)\nset -eu\necho '#not a comment'\n",
    );
  });

  test("the step runner marks failures and refuses to run later steps", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steps-"));
    const runner = path.join(SCRIPTS_DIR, "catalyst-step.sh");
    const secrets = fs.mkdtempSync(path.join(os.tmpdir(), "secrets-"));
    const env = { ...process.env, CATALYST_STEPS_DIR: dir, CATALYST_STEP_MANIFEST: path.join(secrets, "list") };
    fs.writeFileSync(path.join(secrets, "token"), "s3cr3t");
    fs.writeFileSync(path.join(secrets, "list"), `later ${path.join(secrets, "token")}\n`);
    try {
      execFileSync("bash", [runner, "one", "true"], { env, stdio: "pipe" });
      expect(fs.existsSync(path.join(secrets, "token"))).toBe(true);
      const failed = spawnSync("bash", [runner, "two", "sh", "-c", "echo boom; exit 3"], { env, encoding: "utf8" });
      expect(failed.status).toBe(3);
      expect(fs.existsSync(path.join(secrets, "token"))).toBe(false);
      const later = spawnSync("bash", [runner, "three", "true"], { env, encoding: "utf8" });
      expect(later.status).toBe(1);
      expect(later.stdout).toContain("not run: step two failed earlier");
      expect(fs.readdirSync(dir).sort()).toEqual(["one.done", "one.log", "two.failed", "two.log"]);
      expect(fs.readFileSync(path.join(dir, "two.failed"), "utf8")).toMatch(/^step two failed: exit status 3.*\nlast output:\nboom\n/s);
      const timedOut = spawnSync("bash", [runner, "slow", "sleep", "5"], { env: { ...env, CATALYST_STEPS_DIR: path.join(dir, "t"), CATALYST_STEP_TIMEOUT_SEC: "1" }, encoding: "utf8" });
      expect(timedOut.status).toBe(124);
      expect(fs.readFileSync(path.join(dir, "t", "slow.failed"), "utf8")).toContain("deadline of 1s passed");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(secrets, { recursive: true, force: true });
    }
  });
});

describe("YAML 1.1 safety", () => {
  test("strings YAML 1.1 would read as other types stay strings", () => {
    const values = ["yes", "on", "off", "y", "0644", "null", "~", "1e3", "0x1F", "2001-01-01", "1_000", ".inf", "<<"];
    expect(pyyamlLoad(yaml.dump({ v: values })).v).toEqual(values);
  });
});

describe("README: the boot steps and their secret files", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  /** Every optional step, on: the steps nodeSteps() can produce. */
  const ALL_ON = { postback: { deploymentId: "5cd1bceaaacb71f6" }, cloudController: "hcloud", k3s: { localStorage: true }, registry: { pullSecret: true } };
  /** The steps the step runner marks (those with a command), in order. */
  const marked = (role: (typeof NODE_ROLES)[number], changes: Record<string, unknown> = ALL_ON) =>
    nodeSteps(bootInput(role, changes))
      .filter((s) => s.command)
      .map((s) => s.step);
  /** The troubleshooting step list: every server's, server 1's, the last, and what each conditional step says it runs "with". */
  function readmeSteps() {
    const section = readme.slice(readme.indexOf("## Troubleshooting"), readme.indexOf("\n## ", readme.indexOf("## Troubleshooting") + 1));
    const match = /Steps: ([^;]*?),? then on server 1 ([^;]*); last (`[^`]+`)\./.exec(section.replace(/\s+/g, " "));
    expect(match).not.toBeNull();
    const names = (text: string) => [...text.replace(/\([^)]*\)/g, "").matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    const conditions = new Map([...match![2].matchAll(/`([^`]+)` \(with `([^`]+)`/g)].map((m) => [m[1], m[2]]));
    return { every: names(match![1]), first: names(match![2]), last: names(match![3]), conditions };
  }

  test("the troubleshooting section lists exactly the steps nodeSteps() can produce, in order, on every role", () => {
    const { every, first, last } = readmeSteps();
    for (const role of NODE_ROLES) expect(marked(role)).toEqual(role === "first-server" ? [...every, ...first, ...last] : [...every, ...last]);
  });

  test.each([
    ["postback:", { postback: null }],
    ["cloudController: hcloud", { cloudController: "k3s" }],
    ["k3s.localStorage", { k3s: { localStorage: false } }],
    ["registry.pullSecret", { registry: { pullSecret: false } }],
  ])("a step that runs only with `%s` says so in the list", (condition, off) => {
    const { conditions } = readmeSteps();
    const gone = marked("first-server").filter((s) => !marked("first-server", { ...ALL_ON, ...off }).includes(s));
    expect(gone.length).toBeGreaterThan(0);
    for (const step of gone) expect([step, conditions.get(step)]).toEqual([step, condition]);
  });

  test("the security model's table names every secret file of server 1 with its step, every row inside the list item", () => {
    const section = readme.slice(readme.indexOf("## Security model"), readme.indexOf("\n## ", readme.indexOf("## Security model") + 1));
    const lines = section.split("\n");
    const header = lines.findIndex((l) => /^\s*\| file \| deleted \|\s*$/.test(l));
    expect(header).toBeGreaterThan(0);
    const indent = /^ */.exec(lines[header])![0];
    expect(indent.length).toBeGreaterThanOrEqual(2); // inside "- **On the servers**: …"
    const rows: string[] = [];
    for (let i = header; i < lines.length && lines[i].trim().startsWith("|"); i++) {
      expect(/^ */.exec(lines[i])![0]).toBe(indent);
      rows.push(lines[i]);
    }
    // The table ends at a blank line; a row that lost its indentation would end it early.
    expect(lines[header + rows.length].trim()).toBe("");
    const secrets = nodeSteps(bootInput("first-server", ALL_ON)).flatMap((s) => (s.files ?? []).filter((f) => f.removeOnFailure).map((f) => [f.path, s.step]));
    expect(rows.length - 2).toBe(secrets.length);
    for (const [file, step] of secrets) expect(rows.some((r) => r.includes(`\`${file}\``) && r.includes(`\`${step}\``))).toBe(true);
  });
});
