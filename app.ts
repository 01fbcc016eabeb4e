/**
 * What the cdktf app does, importable by tests and tools: validate every
 * Sovereign file, then add one SovereignStack each and synthesise.
 */
import { App } from "cdktf";
import { SovereignFileError, formatProblem } from "./config/errors";
import { Sovereign, loadSovereigns } from "./config/load";
import { SovereignStack } from "./constructs/sovereign-stack";

/** Adds one SovereignStack per Sovereign to the app. */
export function addSovereignStacks(app: App, sovereigns: readonly Sovereign[]): SovereignStack[] {
  return sovereigns.map((sovereign) => new SovereignStack(app, sovereign.stackName, { sovereign }));
}

/** What a run reads: SOVEREIGNS_DIR, SOVEREIGN and cdktf's CDKTF_OUTDIR. */
export interface RunOptions {
  readonly sovereignsDir?: string;
  readonly only?: string;
  readonly outdir?: string;
  readonly stderr?: (line: string) => void;
}

/** Validates every Sovereign file, then synthesises; returns the exit code. */
export function run(options: RunOptions = {}): number {
  const stderr = options.stderr ?? ((line: string) => process.stderr.write(`${line}\n`));
  let sovereigns: Sovereign[];
  try {
    sovereigns = loadSovereigns(options.sovereignsDir || "sovereigns", options.only || undefined);
  } catch (err) {
    if (!(err instanceof SovereignFileError)) throw err;
    for (const problem of err.problems) stderr(`error: ${formatProblem(problem)}`);
    stderr(`${err.problems.length} problem(s); no stack was synthesised.`);
    return 1;
  }
  // The App creates its output directory, so it exists only once every file is valid.
  // Stack traces in construct metadata cost a third of synthesis time and
  // never reach cdk.tf.json.
  const app = new App({ stackTraces: false, ...(options.outdir ? { outdir: options.outdir } : {}) });
  addSovereignStacks(app, sovereigns);
  app.synth();
  return 0;
}
