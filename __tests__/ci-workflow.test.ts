import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { stacksToDeploy } from "../scripts/changed-stacks";
import { ROOT, sovereignWith } from "./fixtures/sovereigns";

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
    expect(workflow.jobs.diff.strategy.matrix.stack).toBe("${{ fromJSON(needs.test.outputs.stacks) }}");
  });

  test("main: one deploy job per changed stack, never two of one stack at once, remote state required, secrets as TF_VAR_*", () => {
    const deploy = workflow.jobs.deploy;
    expect(deploy.if).toContain("refs/heads/main");
    expect(deploy.strategy.matrix.stack).toBe("${{ fromJSON(needs.test.outputs.stacks) }}");
    expect(deploy.concurrency).toEqual({ group: "deploy-${{ matrix.stack }}", "cancel-in-progress": false });
    expect(deploy.steps.map((s: any) => s.run).filter(Boolean)).toEqual([
      "npm ci",
      "npm run synth",
      'node dist/changed-stacks.js --require-remote-state "${{ matrix.stack }}"',
      'npx cdktf deploy "${{ matrix.stack }}" --auto-approve',
    ]);
    expect(deploy.env).toMatchObject({
      TF_VAR_hcloud_token: "${{ secrets.HCLOUD_TOKEN }}",
      TF_VAR_ghcr_pull_token: "${{ secrets.GHCR_PULL_TOKEN }}",
      TF_VAR_kubeconfig_bearer_token: "${{ secrets.KUBECONFIG_BEARER_TOKEN }}",
    });
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

  test("documentation alone selects nothing", () => {
    expect(stacksToDeploy(["README.md", "docs/architecture.md", ".github/workflows/sovereigns.yml"], [a, b])).toEqual([]);
  });
});
