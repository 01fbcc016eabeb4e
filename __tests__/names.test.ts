/**
 * Names and labels against the provider's own rules, ported in
 * config/names.ts from hcloud-go v2.47.0 `hcloud/labels.go` and
 * terraform-provider-hcloud v1.68.0 `docs/resources/server.md`.
 *
 * This is the stand-in for `terraform validate`: the hcloud provider cannot
 * be downloaded here (no Terraform registry), so the synthesised JSON is
 * walked and every label key and value and every name is checked with the
 * same rules the provider and the API apply.
 */
import { Testing } from "cdktf";
import type { Sovereign } from "../config/load";
import { FQDN_PATTERN } from "../config/sovereign-schema";
import { MAX_WORKERS } from "../config/defaults";
import { checkLabelKey, checkLabelValue, checkResourceName, checkServerName, checkSovereignNames, fqdnHash, sovereignNames } from "../config/names";
import { SovereignStack } from "../constructs";
import { sovereignWith } from "./fixtures/sovereigns";

/** The longest FQDN the schema accepts: 253 characters, labels of 63, 63, 63 and 61. */
const LONGEST_FQDN = ["a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61)].join(".");

function synth(sovereign: Sovereign): any {
  return JSON.parse(Testing.synth(new SovereignStack(Testing.app(), sovereign.stackName, { sovereign }), true));
}

/** Every problem of every hcloud resource of a synthesised stack: labels anywhere inside it, its name, and names used twice per type. */
function providerProblems(json: any): string[] {
  const problems: string[] = [];
  const walkLabels = (node: any, where: string) => {
    if (!node || typeof node !== "object") return;
    if (node.labels && typeof node.labels === "object" && !Array.isArray(node.labels)) {
      for (const [key, value] of Object.entries(node.labels)) {
        for (const problem of [checkLabelKey(key), typeof value === "string" ? checkLabelValue(value) : `label ${key} is not a string`]) {
          if (problem) problems.push(`${where}: ${problem}`);
        }
      }
    }
    for (const [key, child] of Object.entries(node)) if (key !== "labels" && key !== "user_data") walkLabels(child, `${where}.${key}`);
  };
  for (const [type, resources] of Object.entries<any>(json.resource)) {
    if (!type.startsWith("hcloud_")) continue;
    const names = new Set<string>();
    for (const [id, resource] of Object.entries<any>(resources)) {
      walkLabels(resource, `${type}.${id}`);
      if (!("name" in resource)) continue;
      const problem = type === "hcloud_server" ? checkServerName(resource.name) : checkResourceName(resource.name);
      if (problem) problems.push(`${type}.${id}: ${problem}`);
      if (names.has(resource.name)) problems.push(`${type}.${id}: name ${resource.name} used twice`);
      names.add(resource.name);
    }
  }
  return problems;
}

describe("the provider's rules, ported", () => {
  test.each([
    ["", true],
    ["a", true],
    ["omantel.omani.works", true],
    ["A_b-c.9", true],
    ["x".repeat(63), true],
    ["x".repeat(64), false],
    ["-a", false],
    ["a.", false],
    ["a b", false],
    ["ä", false],
  ])("label value %j valid: %s", (value, valid) => {
    expect(checkLabelValue(value) === undefined).toBe(valid);
  });

  test.each([
    ["catalyst.openova.io/sovereign", true],
    ["role", true],
    ["x".repeat(63), true],
    ["x".repeat(64), false],
    ["/role", false],
    ["example.com/", false],
    ["a/b/c", false],
  ])("label key %j valid: %s", (key, valid) => {
    expect(checkLabelKey(key) === undefined).toBe(valid);
  });

  test.each([
    ["catalyst-omantel-omani-works-cp-1", true],
    ["node1.example.com", true],
    ["x".repeat(63), true],
    ["x".repeat(64), false],
    ["a_b", false],
    ["-a", false],
    ["a-", false],
    // RFC 1123 allows capitals, Kubernetes node names do not.
    ["Node1", false],
  ])("server name %j valid: %s", (name, valid) => {
    expect(checkServerName(name) === undefined).toBe(valid);
  });
});

describe("names and labels of every accepted Sovereign file", () => {
  test("the boundary FQDNs have the lengths their names say", () => {
    expect([`${"a".repeat(51)}.example.com`, `${"a".repeat(52)}.example.com`, `${"a".repeat(33)}-example-com`].map((f) => f.length)).toEqual([63, 64, 45]);
  });

  test("the longest FQDN the schema accepts is 253 characters", () => {
    expect(LONGEST_FQDN).toHaveLength(253);
    expect(FQDN_PATTERN.test(LONGEST_FQDN)).toBe(true);
    expect(FQDN_PATTERN.test(`a${LONGEST_FQDN}`)).toBe(false);
  });

  test.each([
    ["the example", "omantel.omani.works"],
    ["a 63-character FQDN", `${"a".repeat(51)}.example.com`],
    ["a 64-character FQDN", `${"a".repeat(52)}.example.com`],
    ["a 45-character stack name", `${"a".repeat(33)}.example.com`],
    ["the longest FQDN", LONGEST_FQDN],
  ])(`%s with HA and ${MAX_WORKERS} workers: every label and name passes the provider's rules`, (_, fqdn) => {
    const json = synth(sovereignWith({ fqdn, controlPlane: { ha: true }, workers: { count: MAX_WORKERS }, protection: { enabled: true } }));
    // Not vacuous: every kind of named resource is there, at its largest count.
    expect(Object.keys(json.resource.hcloud_server)).toHaveLength(3 + MAX_WORKERS);
    expect(Object.keys(json.resource.hcloud_placement_group)).toHaveLength(1 + MAX_WORKERS / 10);
    for (const type of ["hcloud_network", "hcloud_firewall", "hcloud_ssh_key", "hcloud_load_balancer"]) expect(Object.keys(json.resource[type])).toHaveLength(1);
    expect(providerProblems(json)).toEqual([]);
    const label = Object.values<any>(json.resource.hcloud_server)[0].labels["catalyst.openova.io/sovereign"];
    expect(label).toBe(fqdn.length <= 63 ? fqdn : `${fqdn.slice(0, 52).replace(/[-.]+$/, "")}-${fqdnHash(fqdn)}`);
  });

  test("names that are valid today stay as they are (a renamed server keeps its old host and node name)", () => {
    const names = sovereignNames("omantel.omani.works");
    expect(names).toEqual({
      sovereignLabel: "omantel.omani.works",
      network: "catalyst-omantel-omani-works-net",
      firewall: "catalyst-omantel-omani-works-fw",
      sshKey: "catalyst-omantel-omani-works",
      loadBalancer: "catalyst-omantel-omani-works-lb",
      controlPlanePlacementGroup: "catalyst-omantel-omani-works-cp",
      controlPlaneServers: [1, 2, 3].map((i) => `catalyst-omantel-omani-works-cp-${i}`),
      workerPlacementGroups: [1, 2, 3, 4, 5].map((g) => `catalyst-omantel-omani-works-workers-${g}`),
      workers: Array.from({ length: MAX_WORKERS }, (_, i) => `catalyst-omantel-omani-works-worker-${i + 1}`),
    });
  });

  test("only a name that would pass 63 characters is shortened, with the FQDN's hash", () => {
    // Stack name of 45 characters: catalyst-<45>-worker-9 is 63, -worker-10 would be 64.
    const fqdn = `${"a".repeat(33)}.example.com`;
    const stack = fqdn.replace(/\./g, "-");
    const short = `catalyst-${stack.slice(0, 33)}-${fqdnHash(fqdn)}`;
    const names = sovereignNames(fqdn);
    expect(names.workers[8]).toBe(`catalyst-${stack}-worker-9`);
    expect(names.workers[9]).toBe(`${short}-worker-10`);
    expect(names.network).toBe(`catalyst-${stack}-net`);
    expect(names.controlPlaneServers[0]).toBe(`catalyst-${stack}-cp-1`);
    expect(names.sovereignLabel).toBe(fqdn);
  });

  test("the longest FQDN gets readable names: catalyst, the start of the stack name, the hash, the role", () => {
    const names = sovereignNames(LONGEST_FQDN);
    const hash = fqdnHash(LONGEST_FQDN);
    expect(hash).toMatch(/^[0-9a-f]{10}$/);
    expect(names.controlPlaneServers[0]).toBe(`catalyst-${"a".repeat(33)}-${hash}-cp-1`);
    expect(names.workers[MAX_WORKERS - 1]).toBe(`catalyst-${"a".repeat(33)}-${hash}-worker-50`);
    expect(names.workers[MAX_WORKERS - 1]).toHaveLength(63);
    expect(names.sovereignLabel).toBe(`${"a".repeat(52)}-${hash}`);
  });

  test("shortened names and labels are deterministic and tell apart FQDNs that share their start", () => {
    const other = LONGEST_FQDN.slice(0, -1) + "e";
    expect(sovereignNames(LONGEST_FQDN)).toEqual(sovereignNames(LONGEST_FQDN));
    expect(sovereignNames(other).sovereignLabel).not.toBe(sovereignNames(LONGEST_FQDN).sovereignLabel);
    expect(sovereignNames(other).workers[0]).not.toBe(sovereignNames(LONGEST_FQDN).workers[0]);
  });

  test("the loader's check names every invalid or repeated name", () => {
    const names = sovereignNames("omantel.omani.works");
    expect(checkSovereignNames(names)).toEqual([]);
    const broken = { ...names, sovereignLabel: "x".repeat(64), network: names.firewall, workers: ["Worker_1", ...names.workers.slice(1)] };
    const problems = checkSovereignNames(broken);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^label value "x{64}" is not a valid Hetzner label value/);
    expect(problems[1]).toMatch(/^server name "Worker_1" is not an RFC 1123 host name/);
    expect(problems[2]).toBe(`resource name "${names.firewall}" is used twice`);
  });
});
