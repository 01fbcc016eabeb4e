/**
 * The names the state gets in each backend, derived from the stack name
 * (config/names.ts stateName), checked in the synthesised backend block
 * against the limit each store applies:
 * - local: the lock file Terraform writes next to the state,
 *   `.<state file>.lock.info`, must be a file name of at most 255 bytes;
 * - s3: the lock object `<key>.tflock` must be a key of at most 1,024 bytes;
 * - remote: the workspace, letters, digits, '-', '_', at most 90 characters
 *   on Terraform Enterprise and 260 on HCP Terraform.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { Testing } from "cdktf";
import { Sovereign, loadSovereigns } from "../config/load";
import { FQDN_PATTERN } from "../config/sovereign-schema";
import { checkStateName, fqdnHash, stateName } from "../config/names";
import { SovereignStack } from "../constructs";
import { requireTool } from "./fixtures/boot";
import { ROOT, exampleWith, problemsOf, sovereignWith } from "./fixtures/sovereigns";

/** The longest FQDN the schema accepts: 253 characters. */
const LONGEST_FQDN = ["a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61)].join(".");
/** An FQDN of `length` characters (at least 70): labels a…, b…, c…, d… of at most 63 characters. */
function fqdnOfStack(length: number): string {
  const labels: string[] = [];
  let left = length;
  while (left > 63) {
    const label = left - 64 >= 1 ? 63 : 62;
    labels.push(String.fromCharCode(97 + labels.length).repeat(label));
    left -= label + 1;
  }
  labels.push(String.fromCharCode(97 + labels.length).repeat(left));
  return labels.join(".");
}
const TFE = "tfe.example.com";

function backend(sovereign: Sovereign): { type: string; config: any } {
  const json = JSON.parse(Testing.synth(new SovereignStack(Testing.app(), sovereign.stackName, { sovereign }), true));
  const [type, config] = Object.entries<any>(json.terraform.backend)[0];
  return { type, config };
}

function localStateFile(fqdn: string): string {
  const { type, config } = backend(sovereignWith({ fqdn }));
  expect(type).toBe("local");
  // The path leads from cdktf.out/stacks/<stack> back to the project root.
  expect(path.posix.dirname(config.path)).toBe("../../..");
  return path.posix.basename(config.path);
}


test("the FQDNs used here are accepted and as long as they say", () => {
  expect(LONGEST_FQDN).toHaveLength(253);
  const lengths = [80, 81, 220, 226, 227];
  for (const fqdn of [LONGEST_FQDN, ...lengths.map(fqdnOfStack)]) expect(FQDN_PATTERN.test(fqdn)).toBe(true);
  expect(lengths.map((n) => fqdnOfStack(n).length)).toEqual(lengths);
});

describe("the limits, as checkStateName applies them", () => {
  const tfe = { backend: "remote", hostname: TFE, workspacePrefix: "" } as const;
  const hcp = { backend: "remote", hostname: "app.terraform.io", workspacePrefix: "" } as const;
  const s3 = { backend: "s3", keyPrefix: "p" } as const;
  test.each([
    ["local, lock file of 255 bytes", `terraform.${"a".repeat(226)}.tfstate`, { backend: "local" } as const, true],
    ["local, lock file of 256 bytes", `terraform.${"a".repeat(227)}.tfstate`, { backend: "local" } as const, false],
    ["local, a path instead of a file name", "a/terraform.x.tfstate", { backend: "local" } as const, false],
    ["s3, lock object of 1,024 bytes", "k".repeat(1017), s3, true],
    ["s3, lock object of 1,025 bytes", "k".repeat(1018), s3, false],
    ["Terraform Enterprise, 90 characters", "w".repeat(90), tfe, true],
    ["Terraform Enterprise, 91 characters", "w".repeat(91), tfe, false],
    ["HCP Terraform, 260 characters", "w".repeat(260), hcp, true],
    ["HCP Terraform, 261 characters", "w".repeat(261), hcp, false],
    ["a workspace with a dot", "a.b", hcp, false],
    ["an empty workspace", "", hcp, false],
  ].map(([label, name, state, valid]) => ({ label, name, state, valid })))("$label: valid $valid", ({ name, state, valid }) => {
    expect(checkStateName(name as string, state as Parameters<typeof checkStateName>[1]) === undefined).toBe(valid);
  });
});

describe("a deployed Sovereign's state never moves", () => {
  test("the example keeps today's state name in every backend", () => {
    expect(localStateFile("omantel.omani.works")).toBe("terraform.omantel-omani-works.tfstate");
    expect(backend(sovereignWith({ state: { backend: "s3", bucket: "states", endpoint: "https://fsn1.your-objectstorage.com" } })).config.key).toBe("sovereigns/omantel-omani-works.tfstate");
    expect(backend(sovereignWith({ state: { backend: "remote", organization: "acme", workspacePrefix: "sov-" } })).config.workspaces).toEqual({ name: "sov-omantel-omani-works" });
  });

  test("a 226-character stack name keeps terraform.<stack>.tfstate: its lock file is 255 bytes", () => {
    const file = localStateFile(fqdnOfStack(226));
    expect(file).toBe(`terraform.${fqdnOfStack(226).replace(/\./g, "-")}.tfstate`);
    expect(Buffer.byteLength(`.${file}.lock.info`)).toBe(255);
  });

  test("a 90-character workspace on Terraform Enterprise and a 260-character one on HCP Terraform keep <workspacePrefix><stack>", () => {
    const tfe = backend(sovereignWith({ fqdn: fqdnOfStack(80), state: { backend: "remote", organization: "acme", hostname: TFE, workspacePrefix: "x".repeat(10) } }));
    expect(tfe.config.workspaces.name).toBe(`${"x".repeat(10)}${fqdnOfStack(80).replace(/\./g, "-")}`);
    const hcp = backend(sovereignWith({ fqdn: fqdnOfStack(220), state: { backend: "remote", organization: "acme", workspacePrefix: "x".repeat(40) } }));
    expect(hcp.config.workspaces.name).toBe(`${"x".repeat(40)}${fqdnOfStack(220).replace(/\./g, "-")}`);
    expect(hcp.config.workspaces.name).toHaveLength(260);
  });
});

describe("local state: terraform.<stack>.tfstate in the project root", () => {
  test.each([
    ["a 227-character stack name", fqdnOfStack(227)],
    ["the longest FQDN", LONGEST_FQDN],
  ])("%s: the file and the lock file Terraform writes beside it can be created (255-byte file names)", (_, fqdn) => {
    const file = localStateFile(fqdn);
    expect(file).toMatch(new RegExp(`^terraform\\.a{63}-b[a-z-]+-${fqdnHash(fqdn)}\\.tfstate$`));
    expect(file).toHaveLength("terraform.".length + 226 + ".tfstate".length);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "state-name-"));
    try {
      // Terraform's local backend: the state, its lock info and its backup.
      for (const name of [file, `.${file}.lock.info`, `${file}.backup`]) fs.writeFileSync(path.join(dir, name), "{}");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  (requireTool("terraform", "local state written by Terraform") ? test : test.skip)(
    "the longest FQDN: Terraform itself writes, locks and backs up the state from cdktf.out/stacks/<stack>",
    () => {
      const sovereign = sovereignWith({ fqdn: LONGEST_FQDN });
      const json = JSON.parse(Testing.synth(new SovereignStack(Testing.app(), sovereign.stackName, { sovereign }), true));
      const project = fs.mkdtempSync(path.join(os.tmpdir(), "state-tf-"));
      // The stack's own backend block; a provider-less resource stands in for
      // the Hetzner ones (the registry is out of reach here).
      const stackDir = path.join(project, "cdktf.out", "stacks", sovereign.stackName);
      fs.mkdirSync(stackDir, { recursive: true });
      fs.writeFileSync(path.join(stackDir, "cdk.tf.json"), JSON.stringify({ terraform: { backend: json.terraform.backend }, resource: { terraform_data: { probe: { input: "1" } } } }));
      const env = { ...process.env, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: path.join(ROOT, ".ci", "terraformrc"), TF_IN_AUTOMATION: "1" };
      const terraform = (...args: string[]) => spawnSync("terraform", args, { cwd: stackDir, env, encoding: "utf8" });
      try {
        for (const args of [["init", "-input=false"], ["apply", "-auto-approve", "-input=false"], ["apply", "-auto-approve", "-input=false", "-replace=terraform_data.probe"]]) {
          const run = terraform(...args);
          expect({ args, status: run.status, stderr: run.stderr }).toEqual({ args, status: 0, stderr: "" });
        }
        const file = path.posix.basename(json.terraform.backend.local.path);
        expect(fs.readdirSync(project).sort()).toEqual(["cdktf.out", file, `${file}.backup`].sort());
      } finally {
        fs.rmSync(project, { recursive: true, force: true });
      }
    },
    60_000,
  );

  test("two long FQDNs that share their first 215 characters get different state files", () => {
    const other = `${LONGEST_FQDN.slice(0, -1)}e`;
    expect(localStateFile(other)).not.toBe(localStateFile(LONGEST_FQDN));
  });
});

describe("s3 state: <keyPrefix>/<stack>.tfstate", () => {
  const s3 = (keyPrefix: string, fqdn = LONGEST_FQDN) => ({ fqdn, state: { backend: "s3", bucket: "states", endpoint: "https://fsn1.your-objectstorage.com", keyPrefix } });

  test.each([
    ["the longest FQDN, keyPrefix of 755", "p".repeat(755)],
    ["the longest FQDN, keyPrefix of 900", "p".repeat(900)],
    ["the longest FQDN, the longest keyPrefix that leaves room (996)", "p".repeat(996)],
    ["the longest FQDN, a keyPrefix of many segments", Array.from({ length: 200 }, () => "seg").join("/")],
  ])("%s: the key and its lock object <key>.tflock fit 1,024 bytes", (_, keyPrefix) => {
    const key: string = backend(sovereignWith(s3(keyPrefix))).config.key;
    expect(key.startsWith(`${keyPrefix}/`)).toBe(true);
    expect(key.endsWith(".tfstate")).toBe(true);
    expect(Buffer.byteLength(`${key}.tflock`)).toBeLessThanOrEqual(1024);
  });

  test("the longest FQDN with a 755-character keyPrefix keeps the full stack name; 756 shortens it", () => {
    expect(backend(sovereignWith(s3("p".repeat(755)))).config.key).toBe(`${"p".repeat(755)}/${LONGEST_FQDN.replace(/\./g, "-")}.tfstate`);
    expect(backend(sovereignWith(s3("p".repeat(756)))).config.key).toMatch(new RegExp(`/a{63}-b[a-z-]+-${fqdnHash(LONGEST_FQDN)}\\.tfstate$`));
  });

  test("fails at load time, at state.keyPrefix, when the keyPrefix is too long on its own", () => {
    expect(problemsOf(() => sovereignWith(s3("p".repeat(997)), "sovereigns/acme.yaml"))).toEqual([
      { file: "sovereigns/acme.yaml", path: "state.keyPrefix", message: expect.stringMatching(/^is 997 bytes: .*1024-byte key limit.*use at most 996 characters$/) },
    ]);
  });
});

describe("remote state: workspace <workspacePrefix><stack>", () => {
  test.each([
    ["Terraform Enterprise", TFE, 90],
    ["HCP Terraform", "app.terraform.io", 260],
  ])("%s (%s): the longest FQDN with the longest workspacePrefix gives a valid workspace of exactly its limit, %i characters", (_, hostname, max) => {
    const prefix = "W_".repeat(20);
    const name: string = backend(sovereignWith({ fqdn: LONGEST_FQDN, state: { backend: "remote", organization: "acme", hostname, workspacePrefix: prefix } })).config.workspaces.name;
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(name).toHaveLength(max);
    expect(name.startsWith(`${prefix}a`)).toBe(true);
    expect(name.endsWith(`-${fqdnHash(LONGEST_FQDN)}`)).toBe(true);
  });

  test("a 91-character workspace on Terraform Enterprise is shortened to 90", () => {
    const name: string = backend(sovereignWith({ fqdn: fqdnOfStack(81), state: { backend: "remote", organization: "acme", hostname: TFE, workspacePrefix: "x".repeat(10) } })).config.workspaces.name;
    expect(name).toHaveLength(90);
    expect(name.endsWith(`-${fqdnHash(fqdnOfStack(81))}`)).toBe(true);
  });

  test("fails, at state.workspacePrefix, when the workspacePrefix leaves no room for the stack name", () => {
    // The schema stops prefixes at 40 characters; the rule itself still refuses what cannot fit.
    expect(stateName(LONGEST_FQDN, { backend: "remote", hostname: TFE, workspacePrefix: "x".repeat(79) })).toEqual({
      path: "state.workspacePrefix",
      message: expect.stringMatching(/^is 79 characters: .*at most 90 characters on tfe\.example\.com.*use at most 78 characters$/),
    });
    expect(stateName(LONGEST_FQDN, { backend: "remote", hostname: TFE, workspacePrefix: "x".repeat(78) })).toEqual({ name: expect.stringMatching(/^x{78}a-[0-9a-f]{10}$/) });
  });
});

test("fails at load time, at state, when two Sovereigns' prefixes make their workspaces meet", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "state-owners-"));
  try {
    const remote = (workspacePrefix: string) => ({ backend: "remote", organization: "acme", workspacePrefix });
    fs.writeFileSync(path.join(dir, "one.yaml"), yaml.dump(exampleWith({ fqdn: "a.b.example", state: remote("x-") })));
    fs.writeFileSync(path.join(dir, "two.yaml"), yaml.dump(exampleWith({ fqdn: "b.example", state: remote("x-a-") })));
    expect(problemsOf(() => loadSovereigns(dir))).toEqual([
      { file: path.join(dir, "two.yaml"), path: "state", message: `keeps its state at remote app.terraform.io organization acme workspace x-a-b-example, where ${path.join(dir, "one.yaml")} keeps its own; give it another prefix` },
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
