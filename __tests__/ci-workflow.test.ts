import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { Testing } from "cdktf";
import { SovereignStack } from "../constructs";
import { bearerSecretName, deployTargets, stacksToDeploy } from "../scripts/changed-stacks";
import { EXAMPLE_TEXT, ROOT, sovereignWith } from "./fixtures/sovereigns";

const WORKFLOW = path.join(ROOT, ".github", "workflows", "sovereigns.yml");
const VALIDATOR = path.join(ROOT, "node_modules", ".bin", "action-validator");

function validate(file: string) {
  return spawnSync(VALIDATOR, [file], { encoding: "utf8" });
}

describe("the GitHub Actions workflow", () => {
  const workflow = yaml.load(fs.readFileSync(WORKFLOW, "utf8")) as any;

  test("passes action-validator", () => {
    const result = validate(WORKFLOW);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  test("fails validation when broken (the validator is really checking)", () => {
    const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "wf-")), "broken.yml");
    fs.writeFileSync(broken, fs.readFileSync(WORKFLOW, "utf8").replace("runs-on: ubuntu-24.04", "runz-on: ubuntu-24.04"));
    expect(validate(broken).status).not.toBe(0);
    fs.rmSync(path.dirname(broken), { recursive: true, force: true });
  });

  test("pull requests: tests in CI mode, synth, cdktf.out artifact, diff per changed stack", () => {
    const steps = workflow.jobs.test.steps.map((s: any) => s.run ?? s.uses);
    expect(steps).toEqual(expect.arrayContaining(["npm ci", "npm test -- --ci", "npm run synth", "actions/upload-artifact@v4"]));
    expect(workflow.jobs.diff.if).toContain("pull_request");
    expect(workflow.jobs.diff.strategy.matrix.sovereign).toBe("${{ fromJSON(needs.test.outputs.stacks) }}");
  });

  test("main: one deploy job per changed stack, never two of one stack at once, remote state required, secrets as TF_VAR_*", () => {
    const deploy = workflow.jobs.deploy;
    expect(deploy.if).toContain("refs/heads/main");
    expect(deploy.strategy.matrix.sovereign).toBe("${{ fromJSON(needs.test.outputs.stacks) }}");
    expect(deploy.concurrency).toEqual({ group: "deploy-${{ matrix.sovereign.stack }}", "cancel-in-progress": false });
    expect(deploy.steps.map((s: any) => s.run).filter(Boolean)).toEqual([
      "npm ci",
      "npm run synth",
      'node dist/changed-stacks.js --require-remote-state "${{ matrix.sovereign.stack }}"',
      expect.stringContaining("set the repository secret ${{ matrix.sovereign.bearerSecret }}"),
      'npx cdktf deploy "${{ matrix.sovereign.stack }}" --auto-approve',
    ]);
    expect(deploy.env).toMatchObject({
      TF_VAR_hcloud_token: "${{ secrets.HCLOUD_TOKEN }}",
      TF_VAR_ghcr_pull_token: "${{ secrets.GHCR_PULL_TOKEN }}",
      SOVEREIGN: "${{ matrix.sovereign.stack }}",
    });
  });

  test("the cloud controller's own token reaches diff and deploy (empty when unset: the stack falls back to TF_VAR_hcloud_token)", () => {
    for (const job of [workflow.jobs.deploy, workflow.jobs.diff]) {
      expect(job.env.TF_VAR_hcloud_ccm_token).toBe("${{ secrets.HCLOUD_CCM_TOKEN }}");
    }
  });

  /** The sensitive Terraform variables of synthesised stacks, over the switches that make some of them optional. */
  function sensitiveVariables(): string[] {
    const names = new Set<string>();
    for (const changes of [{}, { postback: null }, { registry: { pullSecret: false } }, { cloudController: "k3s" }]) {
      const sovereign = sovereignWith(changes);
      const json = JSON.parse(Testing.synth(new SovereignStack(Testing.app(), sovereign.stackName, { sovereign }), true));
      for (const [name, variable] of Object.entries<any>(json.variable ?? {})) if (variable.sensitive) names.add(name);
    }
    return [...names].sort();
  }

  test("every sensitive Terraform variable of a stack is set from a secret, as TF_VAR_*, in both diff and deploy", () => {
    const names = sensitiveVariables();
    expect(names).toContain("hcloud_ccm_token");
    for (const job of ["diff", "deploy"]) {
      const env = { ...workflow.env, ...workflow.jobs[job].env };
      for (const name of names) expect([job, `TF_VAR_${name}`, env[`TF_VAR_${name}`]]).toEqual([job, `TF_VAR_${name}`, expect.stringMatching(/^\$\{\{ secrets[.[]/)]);
    }
  });

  test("help, the example's header and the README's Provisioning API section name every sensitive variable", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const start = readme.indexOf("\n## Provisioning API\n");
    const places = {
      help: fs.readFileSync(path.join(ROOT, "help"), "utf8"),
      example: EXAMPLE_TEXT.slice(0, EXAMPLE_TEXT.search(/^[a-z]/m)),
      readme: readme.slice(start, readme.indexOf("\n## ", start + 1)),
    };
    for (const name of sensitiveVariables()) for (const [place, text] of Object.entries(places)) expect([place, text.includes(`TF_VAR_${name}`)]).toEqual([place, true]);
  });

  test("each stack gets its own one-time bearer; no bearer secret is shared between stacks", () => {
    for (const job of [workflow.jobs.diff, workflow.jobs.deploy]) {
      expect(job.env.TF_VAR_kubeconfig_bearer_token).toBe("${{ secrets[matrix.sovereign.bearerSecret] }}");
    }
    expect(fs.readFileSync(WORKFLOW, "utf8")).not.toMatch(/secrets\.KUBECONFIG_BEARER_TOKEN\b/);
    const check = workflow.jobs.deploy.steps.find((s: any) => s.run?.includes("bearerSecret"));
    expect(check.if).toBe("matrix.sovereign.postback && env.TF_VAR_kubeconfig_bearer_token == ''");
    // The check runs before the deploy.
    expect(workflow.jobs.deploy.steps.indexOf(check)).toBe(workflow.jobs.deploy.steps.length - 2);
  });
});

describe("the deploy matrix", () => {
  test("names each stack's bearer secret as GitHub allows (letters, digits, '_')", () => {
    expect(bearerSecretName("omantel-omani-works")).toBe("KUBECONFIG_BEARER_TOKEN_OMANTEL_OMANI_WORKS");
    const a = sovereignWith({ fqdn: "a.example.org" }, "sovereigns/a.yaml");
    const b = sovereignWith({ fqdn: "b.example.org", postback: null }, "sovereigns/b.yaml");
    expect(deployTargets(["a-example-org", "b-example-org"], [a, b])).toEqual([
      { stack: "a-example-org", bearerSecret: "KUBECONFIG_BEARER_TOKEN_A_EXAMPLE_ORG", postback: true },
      { stack: "b-example-org", bearerSecret: "KUBECONFIG_BEARER_TOKEN_B_EXAMPLE_ORG", postback: false },
    ]);
  });

  function changedStacks(sovereigns: Record<string, string>) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "changed-"));
    try {
      for (const [name, text] of Object.entries(sovereigns)) fs.writeFileSync(path.join(dir, name), text);
      return spawnSync("node", [path.join(ROOT, "dist", "changed-stacks.js"), "--base", "0000000"], { cwd: ROOT, env: { ...process.env, SOVEREIGNS_DIR: dir }, encoding: "utf8" });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  test("lists the stacks of sovereigns/ as matrix entries", () => {
    const result = changedStacks({ "a.yaml": EXAMPLE_TEXT });
    expect(JSON.parse(result.stdout)).toEqual([{ stack: "omantel-omani-works", bearerSecret: "KUBECONFIG_BEARER_TOKEN_OMANTEL_OMANI_WORKS", postback: true }]);
  });

  test("never lists the example: an empty sovereigns/ deploys nothing", () => {
    const result = changedStacks({});
    expect([result.status, result.stdout]).toEqual([0, "[]\n"]);
    expect(result.stderr).toContain("holds no Sovereign files: nothing to diff or deploy (examples are never deployed)");
  });
});

describe("which stacks a change deploys", () => {
  const a = sovereignWith({ fqdn: "a.example.org" }, "sovereigns/a.yaml");
  const b = sovereignWith({ fqdn: "b.example.org" }, "sovereigns/b.yaml");

  test("a changed Sovereign file selects its stack only", () => {
    expect(stacksToDeploy(["sovereigns/b.yaml"], [a, b])).toEqual(["b-example-org"]);
  });

  test("a code change selects every stack", () => {
    expect(stacksToDeploy(["userdata/k3s.ts", "sovereigns/b.yaml"], [a, b])).toEqual(["a-example-org", "b-example-org"]);
  });

  test("a changed example selects nothing (examples are never deployed)", () => {
    expect(stacksToDeploy(["examples/example.yaml"], [a, b])).toEqual([]);
  });

  test("documentation alone selects nothing", () => {
    expect(stacksToDeploy(["README.md", "docs/architecture.md", ".github/workflows/sovereigns.yml"], [a, b])).toEqual([]);
  });
});
