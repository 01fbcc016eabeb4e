/**
 * The app as users run it: what ends up in cdktf.out/stacks after good and
 * failed runs, selection with SOVEREIGN, the example that is never
 * deployed, and what a run prints.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runApp } from "../app";
import { requireTool } from "./fixtures/boot";
import { EXAMPLE_TEXT, ROOT } from "./fixtures/sovereigns";

const MAIN = path.join(ROOT, "dist", "main.js");
const sovereign = (fqdn: string) => EXAMPLE_TEXT.replace("omantel.omani.works", fqdn).replace("ops@example", `ops@${fqdn}`);

let work: string;
beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "app-"));
});
afterEach(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

function write(dir: string, files: Record<string, string>): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

function synth(dir: string, outdir: string, only?: string) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const result = runApp({ sovereignsDir: dir, outdir, only, stdout: (l) => stdout.push(l), stderr: (l) => stderr.push(l) });
  return { ...result, stdout, stderr };
}

const stacksIn = (outdir: string) => (fs.existsSync(path.join(outdir, "stacks")) ? fs.readdirSync(path.join(outdir, "stacks")).sort() : []);

describe("cdktf.out/stacks holds exactly the current stacks", () => {
  test("a deleted file's stack and a renamed FQDN's old stack are removed on the next run", () => {
    const dir = write(path.join(work, "s"), { "a.yaml": sovereign("a.example.org"), "b.yaml": sovereign("b.example.org") });
    const out = path.join(work, "out");
    expect(synth(dir, out).code).toBe(0);
    expect(stacksIn(out)).toEqual(["a-example-org", "b-example-org"]);

    fs.rmSync(path.join(dir, "b.yaml"));
    fs.writeFileSync(path.join(dir, "a.yaml"), sovereign("a2.example.org"));
    expect(synth(dir, out).code).toBe(0);
    expect(stacksIn(out)).toEqual(["a2-example-org"]);
    expect(Object.keys(JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")).stacks)).toEqual(["a2-example-org"]);
  });

  test("a failed run leaves no stacks behind and says so", () => {
    const dir = write(path.join(work, "s"), { "a.yaml": sovereign("a.example.org"), "b.yaml": sovereign("b.example.org") });
    const out = path.join(work, "out");
    expect(synth(dir, out).code).toBe(0);
    fs.writeFileSync(path.join(dir, "b.yaml"), "fqdn: broken\n");
    const failed = synth(dir, out);
    expect(failed.code).toBe(1);
    expect(failed.stderr[failed.stderr.length - 1]).toBe(`4 problem(s); no stack was synthesised, and the 2 stack(s) of the previous run were removed from ${path.join(out, "stacks")}.`);
    expect(fs.existsSync(path.join(out, "stacks"))).toBe(false);
    expect(fs.existsSync(path.join(out, "manifest.json"))).toBe(false);
  });

  test("a failed first run creates nothing and claims no removal", () => {
    const dir = write(path.join(work, "s"), { "b.yaml": "fqdn: broken\n" });
    const failed = synth(dir, path.join(work, "out"));
    expect(failed.stderr[failed.stderr.length - 1]).toBe("4 problem(s); no stack was synthesised.");
    expect(fs.existsSync(path.join(work, "out"))).toBe(false);
  });

  test("a selected run writes only the selected stack and removes the others", () => {
    const dir = write(path.join(work, "s"), { "a.yaml": sovereign("a.example.org"), "b.yaml": sovereign("b.example.org") });
    const out = path.join(work, "out");
    synth(dir, out);
    expect(synth(dir, out, "b").code).toBe(0);
    expect(stacksIn(out)).toEqual(["b-example-org"]);
  });

  test("through the cdktf CLI too: a failed `cdktf synth` leaves no stacks", () => {
    const dir = write(path.join(work, "s"), { "a.yaml": sovereign("a.example.org") });
    const out = path.join(work, "out");
    expect(synth(dir, out).code).toBe(0);
    fs.writeFileSync(path.join(dir, "a.yaml"), "fqdn: broken\n");
    const env = { ...process.env, CHECKPOINT_DISABLE: "1", SOVEREIGNS_DIR: dir };
    const cli = spawnSync("npx", ["cdktf", "synth", "--output", out], { cwd: ROOT, env, encoding: "utf8" });
    expect(cli.status).not.toBe(0);
    expect(cli.stdout + cli.stderr).toContain("a.yaml: fqdn: must be a lowercase RFC 1035 domain name");
    expect(stacksIn(out)).toEqual([]);
  });
});

describe("what a run prints", () => {
  test("one line per stack written, with where and from which file", () => {
    const dir = write(path.join(work, "s"), { "a.yaml": sovereign("a.example.org"), "b.yaml": sovereign("b.example.org") });
    const out = path.join(work, "out");
    const result = synth(dir, out);
    expect(result.stdout).toEqual([
      `wrote ${path.join(out, "stacks", "a-example-org", "cdk.tf.json")} (from ${path.join(dir, "a.yaml")})`,
      `wrote ${path.join(out, "stacks", "b-example-org", "cdk.tf.json")} (from ${path.join(dir, "b.yaml")})`,
    ]);
    // (The two files share the example's SSH key, which is worth a warning; nothing else is printed.)
    expect(result.stderr.filter((l) => !l.startsWith("warning: "))).toEqual([]);
  });
});

describe("offline noise", () => {
  test("npm run cdktf sets CHECKPOINT_DISABLE, so the CLI does not call checkpoint-api.hashicorp.com", () => {
    const env: NodeJS.ProcessEnv = { ...process.env, SOVEREIGNS_DIR: write(path.join(work, "s"), { "a.yaml": sovereign("a.example.org") }) };
    delete env.CHECKPOINT_DISABLE;
    const result = spawnSync("npm", ["run", "--silent", "cdktf", "--", "synth", "--output", path.join(work, "out")], { cwd: ROOT, env, encoding: "utf8" });
    expect(result.status).toBe(0);
    expect(result.stdout + result.stderr).not.toContain("checkpoint");
    expect(stacksIn(path.join(work, "out"))).toEqual(["a-example-org"]);
  });
});

describe("selecting a Sovereign with SOVEREIGN", () => {
  const files = () => write(path.join(work, "s"), { "alpha.yaml": sovereign("a.example.org"), "beta.yaml": sovereign("b.example.org"), "broken.yaml": "fqdn: [unclosed\n" });

  test.each([
    ["file name", "alpha"],
    ["stack name", "a-example-org"],
  ])("by %s: only that file is validated and synthesised, an unrelated broken file does not matter", (_how, only) => {
    const out = path.join(work, "out");
    const result = synth(files(), out, only);
    expect([result.code, result.stderr]).toEqual([0, []]);
    expect(stacksIn(out)).toEqual(["a-example-org"]);
  });

  test("a name that matches nothing lists the known ones and the files that could not be read", () => {
    const dir = files();
    const result = synth(dir, path.join(work, "out"), "gamma");
    expect(result.code).toBe(1);
    expect(result.stderr[0]).toBe(
      `error: ${dir}: has no Sovereign named "gamma" (SOVEREIGN selects by file name without .yaml or by stack name); known: alpha (a-example-org), beta (b-example-org), broken; 1 file(s) could not be read, so their stack names are unknown (run without SOVEREIGN to see why)`,
    );
  });

  test("the selected file is still validated in full", () => {
    const result = synth(files(), path.join(work, "out"), "broken");
    expect(result.code).toBe(1);
    expect(result.stderr[0]).toMatch(/broken\.yaml: not valid YAML at line 2, column 1: unexpected end of the stream within a flow collection/);
  });

  test("the app reads SOVEREIGN from the environment (dist/main.js, as npm run synth and cdktf run it)", () => {
    const dir = files();
    const out = path.join(work, "out");
    const env = { ...process.env, SOVEREIGNS_DIR: dir, CDKTF_OUTDIR: out, SOVEREIGN: "beta" };
    const result = spawnSync("node", [MAIN], { cwd: ROOT, env, encoding: "utf8" });
    expect([result.status, result.stderr]).toEqual([0, ""]);
    expect(stacksIn(out)).toEqual(["b-example-org"]);
    expect(result.stdout).toBe(`wrote ${path.join(out, "stacks", "b-example-org", "cdk.tf.json")} (from ${path.join(dir, "beta.yaml")})\n`);
  });
});

describe("the example is never deployed", () => {
  /** A checkout: sovereigns/ (maybe empty) and examples/example.yaml; the app runs there. */
  function checkout(sovereigns: Record<string, string>) {
    write(path.join(work, "examples"), { "example.yaml": EXAMPLE_TEXT });
    write(path.join(work, "sovereigns"), sovereigns);
    const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: path.join(work, "cdktf.out") };
    delete env.SOVEREIGNS_DIR;
    delete env.SOVEREIGN;
    return spawnSync("node", [MAIN], { cwd: work, env, encoding: "utf8" });
  }

  test("the repository ships no Sovereign file, only the example", () => {
    expect(fs.readdirSync(path.join(ROOT, "sovereigns")).filter((f) => /\.ya?ml$/.test(f))).toEqual([]);
    expect(fs.existsSync(path.join(ROOT, "examples", "example.yaml"))).toBe(true);
  });

  test("with sovereigns/ empty, synth writes the example's stack with a note and a guard that stops its plan", () => {
    const result = checkout({ "README.md": "notes" });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe(
      "note: sovereigns/ holds no Sovereign files, so the example examples/example.yaml was synthesised for a first look; its plan stops on purpose, so it is never deployed. Copy it to sovereigns/<name>.yaml with your own fqdn and SSH key to start.\n",
    );
    expect(result.stdout).toBe("wrote " + path.join(work, "cdktf.out", "stacks", "omantel-omani-works", "cdk.tf.json") + " (from examples/example.yaml, an example: never deployed)\n");
    const json = JSON.parse(fs.readFileSync(path.join(work, "cdktf.out", "stacks", "omantel-omani-works", "cdk.tf.json"), "utf8"));
    expect(json.resource.terraform_data.ExampleGuard.lifecycle.precondition).toEqual([
      {
        condition: "${terraform.workspace != terraform.workspace}",
        error_message: "examples/example.yaml is an example and is never deployed. Copy it to sovereigns/<name>.yaml, put your own fqdn, org and ssh.publicKey in it, and deploy that stack.",
      },
    ]);
  });

  test("once sovereigns/ holds a file, the example is not synthesised at all", () => {
    const result = checkout({ "acme.yaml": sovereign("acme.example.org") });
    expect([result.status, result.stderr]).toEqual([0, ""]);
    expect(stacksIn(path.join(work, "cdktf.out"))).toEqual(["acme-example-org"]);
  });

  test("Terraform refuses to plan the example's guard", () => {
    if (!requireTool("terraform", "planning the example guard")) return;
    expect(checkout({}).status).toBe(0);
    const json = JSON.parse(fs.readFileSync(path.join(work, "cdktf.out", "stacks", "omantel-omani-works", "cdk.tf.json"), "utf8"));
    // The hcloud provider cannot be fetched here; the guard alone uses only Terraform's built-in provider.
    const dir = write(path.join(work, "plan"), { "main.tf.json": JSON.stringify({ resource: { terraform_data: json.resource.terraform_data } }) });
    const env = { ...process.env, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: path.join(ROOT, ".ci", "terraformrc"), TF_IN_AUTOMATION: "1" };
    expect(spawnSync("terraform", ["init", "-no-color", "-input=false"], { cwd: dir, env, encoding: "utf8" }).status).toBe(0);
    const plan = spawnSync("terraform", ["plan", "-no-color", "-input=false"], { cwd: dir, env, encoding: "utf8" });
    expect(plan.status).toBe(1);
    expect(plan.stderr).toContain("Resource precondition failed");
    expect(plan.stderr).toContain("examples/example.yaml is an example and is never deployed.");
  });
});
