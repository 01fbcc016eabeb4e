/**
 * What the cdktf app does, importable by tests and tools: validate every
 * Sovereign file, then add one SovereignStack each and synthesise.
 */
import * as fs from "fs";
import * as path from "path";
import { App, DataResource } from "cdktf";
import { SovereignFileError, formatProblem } from "./config/errors";
import { Sovereign, listSovereignFiles, loadSovereignSet } from "./config/load";
import { SovereignStack } from "./constructs/sovereign-stack";
import { writeLine } from "./stdio";
import { installCheapTokenTraces } from "./traces";

/** Where Sovereign files live unless SOVEREIGNS_DIR says otherwise. */
export const DEFAULT_SOVEREIGNS_DIR = "sovereigns";
/** Example Sovereign files: synthesised only while sovereigns/ is empty, never deployable. */
export const EXAMPLES_DIR = "examples";

/** Adds one SovereignStack per Sovereign to the app. */
export function addSovereignStacks(app: App, sovereigns: readonly Sovereign[]): SovereignStack[] {
  return sovereigns.map((sovereign) => new SovereignStack(app, sovereign.stackName, { sovereign }));
}

/**
 * Makes a stack impossible to plan, so `cdktf diff/deploy` of an example
 * stops before anything is created: a built-in terraform_data resource
 * whose precondition can never hold (Terraform needs the condition to
 * refer to something, hence terraform.workspace).
 */
export function guardExampleStack(stack: SovereignStack, file: string): void {
  new DataResource(stack, "ExampleGuard", {
    input: { file },
    lifecycle: {
      precondition: [
        {
          condition: "${terraform.workspace != terraform.workspace}",
          errorMessage: `${file} is an example and is never deployed. Copy it to ${DEFAULT_SOVEREIGNS_DIR}/<name>.yaml, put your own fqdn, org and ssh.publicKey in it, and deploy that stack.`,
        },
      ],
    },
  });
}

/** What a run reads: SOVEREIGNS_DIR, SOVEREIGN and cdktf's CDKTF_OUTDIR. */
export interface RunOptions {
  readonly sovereignsDir?: string;
  readonly only?: string;
  readonly outdir?: string;
  /** Directory examples come from when the default Sovereigns directory is empty. @default examples */
  readonly examplesDir?: string;
  readonly stdout?: (line: string) => void;
  readonly stderr?: (line: string) => void;
}

/** A run's exit code and the stacks it wrote. */
export interface RunResult {
  readonly code: number;
  readonly stacks: readonly { readonly name: string; readonly file: string; readonly example: boolean }[];
}

/** Validates every Sovereign file, then synthesises; returns the exit code. */
export function run(options: RunOptions = {}): number {
  return runApp(options).code;
}

/**
 * {@link run}, also naming the stacks written. `<outdir>/stacks` always ends
 * holding exactly this run's stacks: a successful run removes the
 * directories of stacks it did not write (a deleted file, a changed FQDN,
 * the Sovereigns SOVEREIGN did not select), and a failed run removes them
 * all, so nothing outdated is left for `terraform` or a glob to act on.
 */
export function runApp(options: RunOptions = {}): RunResult {
  const stdout = options.stdout ?? ((line: string) => writeLine(1, line));
  const stderr = options.stderr ?? ((line: string) => writeLine(2, line));
  const outdir = options.outdir || process.env.CDKTF_OUTDIR || "cdktf.out";
  let dir = options.sovereignsDir || DEFAULT_SOVEREIGNS_DIR;
  let example = false;
  if (!options.sovereignsDir && isEmptyOrMissing(dir)) {
    // A fresh clone: show what a stack looks like, from a file that cannot be deployed.
    dir = options.examplesDir ?? EXAMPLES_DIR;
    example = true;
  }
  let sovereigns: Sovereign[];
  try {
    const loaded = loadSovereignSet(dir, options.only || undefined);
    sovereigns = loaded.sovereigns;
    for (const warning of loaded.warnings) stderr(`warning: ${formatProblem(warning)}`);
  } catch (err) {
    if (!(err instanceof SovereignFileError)) throw err;
    for (const problem of err.problems) stderr(`error: ${formatProblem(problem)}`);
    const removed = removeStacks(outdir, new Set());
    stderr(`${err.problems.length} problem(s); no stack was synthesised${removed > 0 ? `, and the ${removed} stack(s) of the previous run were removed from ${path.join(outdir, "stacks")}` : ""}.`);
    return { code: 1, stacks: [] };
  }
  if (example) {
    stderr(
      `note: ${DEFAULT_SOVEREIGNS_DIR}/ holds no Sovereign files, so the example ${sovereigns.map((s) => s.file).join(", ")} was synthesised for a first look; ` +
        `its plan stops on purpose, so it is never deployed. Copy it to ${DEFAULT_SOVEREIGNS_DIR}/<name>.yaml with your own fqdn and SSH key to start.`,
    );
  }
  withCheapTokenTraces(() => synthesise(sovereigns, outdir, example));
  removeStacks(outdir, new Set(sovereigns.map((s) => s.stackName)));
  const stacks = sovereigns.map((s) => ({ name: s.stackName, file: s.file, example }));
  for (const s of stacks) stdout(`wrote ${path.join(outdir, "stacks", s.name, "cdk.tf.json")} (from ${s.file}${example ? ", an example: never deployed" : ""})`);
  return { code: 0, stacks };
}

function isEmptyOrMissing(dir: string): boolean {
  try {
    return listSovereignFiles(dir).length === 0;
  } catch (err) {
    if (err instanceof SovereignFileError) return true;
    throw err;
  }
}

/** Removes stack directories not in `keep` (and, when none is kept, the manifest); returns how many went. */
function removeStacks(outdir: string, keep: ReadonlySet<string>): number {
  const stacksDir = path.join(outdir, "stacks");
  let entries: string[];
  try {
    entries = fs.readdirSync(stacksDir);
  } catch {
    return 0;
  }
  const stale = entries.filter((name) => !keep.has(name));
  for (const name of stale) fs.rmSync(path.join(stacksDir, name), { recursive: true, force: true });
  if (keep.size === 0) {
    fs.rmSync(stacksDir, { recursive: true, force: true });
    // Without a manifest, `cdktf deploy --skip-synth` cannot pick up anything either.
    fs.rmSync(path.join(outdir, "manifest.json"), { force: true });
  }
  return stale.length;
}

function synthesise(sovereigns: Sovereign[], outdir: string, example: boolean): void {
  // The App creates its output directory, so it exists only once every file is valid.
  // Construct metadata needs no stack traces: they never reach cdk.tf.json.
  const app = new App({ stackTraces: false, outdir });
  const stacks = addSovereignStacks(app, sovereigns);
  if (example) stacks.forEach((stack, i) => guardExampleStack(stack, sovereigns[i].file));
  app.synth();
}

/** Runs `fn` with {@link installCheapTokenTraces}, restored when it returns or throws. */
export function withCheapTokenTraces<T>(fn: () => T): T {
  const restore = installCheapTokenTraces();
  try {
    return fn();
  } finally {
    restore();
  }
}
