import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { SovereignFileError } from "../config/errors";
import { withFieldReference } from "../config/field-reference";
import { JSON_SCHEMA_FILE, renderJsonSchema } from "../config/json-schema";
import { loadSovereigns, parseSovereign } from "../config/load";
import { run } from "../app";
import { EXAMPLE_TEXT, ROOT, exampleWith, problemsOf as problemsOfRun } from "./fixtures/sovereigns";

const problemsOf = (text: string, file = "bad.yaml") => problemsOfRun(() => parseSovereign(text, file));

describe("the shipped example", () => {
  test("validates with the SPEC's defaults applied", () => {
    const s = parseSovereign(EXAMPLE_TEXT, "examples/example.yaml");
    expect(s.stackName).toBe("omantel-omani-works");
    expect(s.names).toMatchObject({ sovereignLabel: "omantel.omani.works", network: "catalyst-omantel-omani-works-net", sshKey: "catalyst-omantel-omani-works" });
    expect(s.controlPlane).toEqual({ serverType: "cx43", ha: false });
    expect(s.workers).toEqual({ serverType: "cx33", count: 0 });
    expect(s.hardening).toEqual({ unattendedUpgrades: true, fail2ban: true });
    expect(s.state).toEqual({ backend: "local" });
  });

  test("minimal file gets every default", () => {
    const s = parseSovereign(
      yaml.dump({ fqdn: "acme.example.org", org: { name: "Acme", email: "ops@acme.org" }, location: "sin", ssh: { publicKey: (yaml.load(EXAMPLE_TEXT) as any).ssh.publicKey } }),
      "min.yaml",
    );
    expect(s.subdomain).toBe("acme");
    expect(s.k3s.version).toBe("v1.31.4+k3s1");
    expect(s.gitops).toEqual({ repoUrl: "https://github.com/openova-io/openova", branch: "main", layout: "template" });
    expect(s.k3s.localStorage).toBe(true);
    expect(s.versions.flux).toBe("v2.4.0");
    expect(s.postback).toBeUndefined();
    expect(s.ssh.allowedCidrs).toEqual([]);
    expect(s.cloudController).toBe("hcloud");
    // cx exists only in the EU: Singapore gets cpx.
    expect([s.controlPlane.serverType, s.workers.serverType]).toEqual(["cpx42", "cpx32"]);
  });
});

// Each row: a change to the example, and the exact field path the error must name.
const BAD: [string, Record<string, unknown>, string][] = [
  ["uppercase fqdn", { fqdn: "Omantel.omani.works" }, "fqdn"],
  ["single-label fqdn", { fqdn: "localhost" }, "fqdn"],
  ["fqdn with underscore", { fqdn: "a_b.example.com" }, "fqdn"],
  ["fqdn label starting with a digit", { fqdn: "1a.example.com" }, "fqdn"],
  ["fqdn with a trailing dot", { fqdn: "omantel.omani.works." }, "fqdn"],
  ["subdomain with a dot", { subdomain: "a.b" }, "subdomain"],
  ["missing org name", { org: { name: null } }, "org.name"],
  ["org name with a newline", { org: { name: "Acme\nrm -rf /" } }, "org.name"],
  ["email without a dot after @", { org: { email: "ops@localhost" } }, "org.email"],
  ["email with a space", { org: { email: "ops team@acme.org" } }, "org.email"],
  ["unknown location", { location: "fra1" }, "location"],
  ["server type of an unknown family", { controlPlane: { serverType: "m5.large" } }, "controlPlane.serverType"],
  ["ha as a string", { controlPlane: { ha: "yes" } }, "controlPlane.ha"],
  ["worker count above 50", { workers: { count: 51 } }, "workers.count"],
  ["negative worker count", { workers: { count: -1 } }, "workers.count"],
  ["fractional worker count", { workers: { count: 1.5 } }, "workers.count"],
  ["worker server type", { workers: { serverType: "cx" } }, "workers.serverType"],
  ["server type Hetzner no longer sells", { controlPlane: { serverType: "cx42" } }, "controlPlane.serverType"],
  ["Arm outside the EU", { location: "sin", controlPlane: { serverType: "cpx42" }, workers: { serverType: "cax31" } }, "workers.serverType"],
  ["k3s version without +k3sN", { k3s: { version: "v1.31.4" } }, "k3s.version"],
  ["unknown cloud controller", { cloudController: "aws" }, "cloudController"],
  ["cloud controller chart digest not hex", { versions: { hcloudCcm: { version: "1.30.1", chartSha256: "sha256:47fb" } } }, "versions.hcloudCcm.chartSha256"],
  ["dsa ssh key", { ssh: { publicKey: "ssh-dss AAAAB3NzaC1kc3MAAACBAP ops@x" } }, "ssh.publicKey"],
  ["key type mismatching its data", { ssh: { publicKey: "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIBr+1AJdeaIezHpn71ukww05rETxoIr02h9rQd3GbJiX x" } }, "ssh.publicKey"],
  ["bare address in allowedCidrs", { ssh: { allowedCidrs: ["203.0.113.0/24", "198.51.100.7"] } }, "ssh.allowedCidrs[1]"],
  ["host bits set", { ssh: { allowedCidrs: ["203.0.113.9/24"] } }, "ssh.allowedCidrs[0]"],
  ["ipv6 prefix too long", { ssh: { allowedCidrs: ["2001:db8::/129"] } }, "ssh.allowedCidrs[0]"],
  ["api cidr garbage", { firewall: { apiAllowedCidrs: ["anywhere"] } }, "firewall.apiAllowedCidrs[0]"],
  ["hardening flag as string", { hardening: { fail2ban: "on" } }, "hardening.fail2ban"],
  ["git url with a space", { gitops: { repoUrl: "https://github.com/openova io/openova" } }, "gitops.repoUrl"],
  ["git url over plain http", { gitops: { repoUrl: "http://github.com/openova-io/openova" } }, "gitops.repoUrl"],
  ["git url with credentials", { gitops: { repoUrl: "https://user:ghp_x@github.com/o/r" } }, "gitops.repoUrl"],
  ["ssh git url (no deploy key Secret exists)", { gitops: { repoUrl: "git@github.com:openova-io/openova.git" } }, "gitops.repoUrl"],
  ["branch with ..", { gitops: { branch: "main..dev" } }, "gitops.branch"],
  ["branch ending in .lock", { gitops: { branch: "release.lock" } }, "gitops.branch"],
  ["branch with a space", { gitops: { branch: "my branch" } }, "gitops.branch"],
  ["deployment id upper-case", { postback: { deploymentId: "5CD1BCEAAACB71F6" } }, "postback.deploymentId"],
  ["deployment id too short", { postback: { deploymentId: "5cd1bcea" } }, "postback.deploymentId"],
  ["api url over http", { postback: { apiUrl: "http://console.openova.io/sovereign" } }, "postback.apiUrl"],
  ["api url with a query", { postback: { apiUrl: "https://console.openova.io/sovereign?x=1" } }, "postback.apiUrl"],
  ["typo in a top-level key", { wokers: { count: 1 } }, "wokers"],
  ["unknown nested key", { workers: { size: "cx32" } }, "workers.size"],
  ["load balancer type", { loadBalancer: { type: "lb99" } }, "loadBalancer.type"],
  ["s3 state without bucket", { state: { backend: "s3", endpoint: "https://fsn1.your-objectstorage.com" } }, "state.bucket"],
  ["unknown state backend", { state: { backend: "consul" } }, "state.backend"],
  ["helm override without checksums", { versions: { helm: { version: "v3.16.4" } } }, "versions.helm.sha256Amd64"],
  ["cilium version with a v", { versions: { cilium: { version: "v1.16.5", chartSha256: "0".repeat(64) } } }, "versions.cilium.version"],
  ["flux release whose flux2 chart is not known (it would break the GitOps adoption)", { versions: { flux: "v2.4.1" } }, "versions.flux"],
  ["unknown gitops layout", { gitops: { layout: "per-cluster" } }, "gitops.layout"],
];

describe("bad Sovereign files", () => {
  test("fails on a Flux release without a known flux2 chart, naming the pairs that keep the GitOps adoption working", () => {
    const problem = problemsOf(yaml.dump(exampleWith({ versions: { flux: "v2.4.1" } }))).find((p) => p.path === "versions.flux")!;
    expect(problem.message).toBe(
      `must be a Flux release whose flux2 chart is known: v2.3.0 (flux2 chart 2.13.0), v2.4.0 (flux2 chart 2.14.1), v2.5.1 (flux2 chart 2.15.0), v2.6.4 (flux2 chart 2.16.4); the GitOps repository's Flux HelmRelease must use that chart version, or its adoption rolls back and deletes Flux (got "v2.4.1")`,
    );
  });

  test.each(BAD)("fails on %s, naming the field", (_name, change, fieldPath) => {
    const problems = problemsOf(yaml.dump(exampleWith(change)));
    expect(problems.map((p) => p.path)).toContain(fieldPath);
    const problem = problems.find((p) => p.path === fieldPath)!;
    expect(problem.file).toBe("bad.yaml");
    expect(problem.message.length).toBeGreaterThan(10);
  });

  test.each(BAD)("fails on %s without writing any stack", (_name, change, fieldPath) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sovereigns-"));
    try {
      fs.writeFileSync(path.join(dir, "good.yaml"), EXAMPLE_TEXT.replace("omantel.omani.works", "good.omani.works"));
      fs.writeFileSync(path.join(dir, "bad.yaml"), yaml.dump(exampleWith(change)));
      const lines: string[] = [];
      const outdir = path.join(dir, "cdktf.out");
      expect(run({ sovereignsDir: dir, outdir, stderr: (l) => lines.push(l) })).toBe(1);
      expect(lines.join("\n")).toContain(`bad.yaml: ${fieldPath}: `);
      expect(fs.existsSync(outdir)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("fails with every problem of a file reported together", () => {
    const problems = problemsOf(yaml.dump(exampleWith({ fqdn: "BAD", location: "mars", workers: { count: 99 }, ssh: { allowedCidrs: ["x", "10.0.0.0/8", "y"] } })));
    expect(problems.map((p) => p.path).sort()).toEqual(["fqdn", "location", "ssh.allowedCidrs[0]", "ssh.allowedCidrs[2]", "workers.count"]);
  });

  test("fails on a duplicate key with its line", () => {
    const problems = problemsOf("fqdn: a.example.com\nlocation: fsn1\nlocation: hel1\n");
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toMatch(/duplicate key.*|line 3/);
    expect(problems[0].message).toContain("line 3");
  });

  test("fails on a typo with a suggestion and the allowed keys", () => {
    const [problem] = problemsOf(yaml.dump(exampleWith({ wokers: { count: 1 } })));
    expect(problem.message).toContain("did you mean workers?");
    expect(problem.message).toContain("allowed here: fqdn, subdomain, org");
  });

  test("fails with the value received and what is allowed", () => {
    const [problem] = problemsOf(yaml.dump(exampleWith({ workers: { count: 51 } })));
    expect(problem.message).toBe("must be a whole number from 0 to 50 (got 51)");
  });

  test.each([
    ["hcloudToken", "TF_VAR_hcloud_token"],
    ["hcloudCcmToken", "TF_VAR_hcloud_ccm_token"],
    ["ghcrPullToken", "TF_VAR_ghcr_pull_token"],
    ["kubeconfigBearerToken", "TF_VAR_kubeconfig_bearer_token"],
  ])("fails on a secret field %s, naming %s", (key, variable) => {
    const problems = problemsOf(yaml.dump(exampleWith({ [key]: "s3cr3t-value" })));
    expect(problems).toHaveLength(1);
    expect(problems[0].path).toBe(key);
    expect(problems[0].message).toContain(variable);
    expect(problems[0].message).not.toContain("s3cr3t-value");
  });

  test("fails on a nested secret, naming the bearer variable", () => {
    const problems = problemsOf(yaml.dump(exampleWith({ postback: { bearerToken: "abc" } })));
    expect(problems.map((p) => [p.path, p.message.includes("TF_VAR_kubeconfig_bearer_token")])).toEqual([["postback.bearerToken", true]]);
  });

  test("fails when two files name the same Sovereign", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sovereigns-"));
    try {
      fs.writeFileSync(path.join(dir, "a.yaml"), EXAMPLE_TEXT);
      fs.writeFileSync(path.join(dir, "b.yaml"), EXAMPLE_TEXT);
      // Nobody can tell which file is the newcomer: both are named, each pointing at the other.
      expect(() => loadSovereigns(dir)).toThrow(
        new SovereignFileError([
          { file: path.join(dir, "a.yaml"), path: "fqdn", message: `omantel.omani.works is also the fqdn of ${path.join(dir, "b.yaml")}; both would be stack omantel-omani-works, and every Sovereign needs its own FQDN: change it in the file that is not meant to be omantel.omani.works` },
          { file: path.join(dir, "b.yaml"), path: "fqdn", message: `omantel.omani.works is also the fqdn of ${path.join(dir, "a.yaml")}; both would be stack omantel-omani-works, and every Sovereign needs its own FQDN: change it in the file that is not meant to be omantel.omani.works` },
        ]).message,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("hostile but legitimate values", () => {
  test.each([
    [{ org: { name: `O'Brien "Ops" & Partners` } }],
    [{ org: { name: "Price $5 ${var.x} %{if} `id` $(reboot) # not a comment" } }],
    [{ org: { name: "yes" } }],
    [{ org: { name: "Société Générale — 東京" } }],
    [{ org: { email: "ops+k8s@sub.example.co.uk" } }],
    [{ gitops: { branch: "feature/x-1.2" } }],
  ])("accepts %j", (change) => {
    expect(() => parseSovereign(yaml.dump(exampleWith(change)), "ok.yaml")).not.toThrow();
  });
});

describe("JSON Schema for editors", () => {
  test("the committed sovereign.schema.json is generated from the validator's schema", () => {
    // Regenerate with `npm run schema` when this fails.
    expect(fs.readFileSync(path.join(ROOT, JSON_SCHEMA_FILE), "utf8")).toBe(renderJsonSchema());
  });

  test("the README's field reference is generated from the same schema", () => {
    // Regenerate with `npm run schema` when this fails.
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(readme).toBe(withFieldReference(readme));
    expect(readme).toContain("| `workers.count` | integer |  | Number of k3s agents, 0 to 50. Default: 0. |");
  });

  test("it forbids unknown keys and requires the fields without defaults", () => {
    const schema = JSON.parse(renderJsonSchema());
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required.sort()).toEqual(["fqdn", "location", "org", "ssh"]);
    expect(schema.properties.workers.properties.count.maximum).toBe(50);
  });
});
