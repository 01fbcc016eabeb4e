// CI helper (.github/workflows/sovereigns.yml).
//   node dist/changed-stacks.js --base <git ref>   JSON list of stacks to diff/deploy:
//       [{ "stack": …, "bearerSecret": "KUBECONFIG_BEARER_TOKEN_<STACK>", "postback": true|false }]
//   node dist/changed-stacks.js --require-remote-state <stack>
// A change to anything but Sovereign files and documentation can change
// every stack, so it selects all of them; otherwise only the stacks of the
// added or modified Sovereign files. Deleted files are never destroyed
// automatically: they are reported on stderr. Only files in sovereigns/
// (or $SOVEREIGNS_DIR) are ever listed: examples/ never is.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Sovereign, listSovereignFiles, loadSovereigns } from "../config/load";

/** Paths whose change cannot alter any deployable stack (examples are never deployed). */
const DOCUMENTATION = /^(README\.md|help|docs\/.*|.*\.md|\.github\/.*|examples\/.*)$/;

/** The stacks a set of changed paths (relative to the repository) affects. */
export function stacksToDeploy(changed: readonly string[], sovereigns: readonly Sovereign[], sovereignsDir = "sovereigns"): string[] {
  const dir = sovereignsDir.replace(/\/+$/, "") + "/";
  const codeChanged = changed.some((file) => !file.startsWith(dir) && !DOCUMENTATION.test(file));
  if (codeChanged) return sovereigns.map((s) => s.stackName);
  const changedFiles = new Set(changed.filter((file) => file.startsWith(dir)).map((file) => path.normalize(file)));
  return sovereigns.filter((s) => changedFiles.has(path.normalize(s.file))).map((s) => s.stackName);
}

/**
 * The repository secret holding a stack's one-time kubeconfig bearer. A
 * bearer belongs to one deployment, so each stack has its own secret; GitHub
 * secret names take only letters, digits and '_'.
 */
export function bearerSecretName(stack: string): string {
  return `KUBECONFIG_BEARER_TOKEN_${stack.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/** One job of the diff/deploy matrix. */
export interface DeployTarget {
  readonly stack: string;
  /** Repository secret that becomes TF_VAR_kubeconfig_bearer_token for this stack only. */
  readonly bearerSecret: string;
  /** The Sovereign has a postback: block, so its deploy needs that secret. */
  readonly postback: boolean;
}

/** The matrix entries of the given stacks. */
export function deployTargets(stacks: readonly string[], sovereigns: readonly Sovereign[]): DeployTarget[] {
  return stacks.map((stack) => ({ stack, bearerSecret: bearerSecretName(stack), postback: sovereigns.find((s) => s.stackName === stack)?.postback !== undefined }));
}

function git(args: string[]): { ok: boolean; out: string } {
  const result = spawnSync("git", args, { encoding: "utf8" });
  return { ok: result.status === 0, out: result.stdout };
}

function main(argv: string[]): number {
  const sovereignsDir = process.env.SOVEREIGNS_DIR || "sovereigns";
  if (argv[0] === "--require-remote-state" && argv[1]) {
    const file = path.join(process.env.CDKTF_OUTDIR || "cdktf.out", "stacks", argv[1], "cdk.tf.json");
    const backend = Object.keys(JSON.parse(fs.readFileSync(file, "utf8")).terraform?.backend ?? { local: {} });
    if (backend.includes("local")) {
      process.stderr.write(`${argv[1]}: deploying from CI needs remote state; add a state: block (backend s3 or remote) to its Sovereign file\n`);
      return 1;
    }
    return 0;
  }
  if (argv[0] !== "--base" || !argv[1]) {
    process.stderr.write("usage: changed-stacks --base <git ref> | --require-remote-state <stack>\n");
    return 2;
  }
  if (listSovereignFiles(sovereignsDir).length === 0) {
    process.stderr.write(`${sovereignsDir} holds no Sovereign files: nothing to diff or deploy (examples are never deployed)\n`);
    process.stdout.write("[]\n");
    return 0;
  }
  const sovereigns = loadSovereigns(sovereignsDir);
  const base = argv[1];
  const diff = /^0+$/.test(base) || !git(["rev-parse", "--verify", "--quiet", `${base}^{commit}`]).ok ? undefined : git(["diff", "--name-status", base, "HEAD"]);
  if (!diff || !diff.ok) {
    process.stderr.write(`base ${base} is unknown: selecting every stack\n`);
    process.stdout.write(`${JSON.stringify(deployTargets(sovereigns.map((s) => s.stackName), sovereigns))}\n`);
    return 0;
  }
  const changed: string[] = [];
  for (const line of diff.out.split("\n").filter(Boolean)) {
    const [status, ...paths] = line.split("\t");
    if (status === "D") process.stderr.write(`note: ${paths[0]} was deleted; destroy its stack by hand if that was meant (npx cdktf destroy)\n`);
    else changed.push(...paths);
  }
  process.stdout.write(`${JSON.stringify(deployTargets(stacksToDeploy(changed, sovereigns, sovereignsDir), sovereigns))}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
