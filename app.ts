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
  return withCheapTokenTraces(() => synthesise(sovereigns, options.outdir));
}

function synthesise(sovereigns: Sovereign[], outdir: string | undefined): number {
  // The App creates its output directory, so it exists only once every file is valid.
  // Construct metadata needs no stack traces: they never reach cdk.tf.json.
  const app = new App({ stackTraces: false, ...(outdir ? { outdir } : {}) });
  addSovereignStacks(app, sovereigns);
  app.synth();
  return 0;
}

/**
 * cdktf records where each of its thousands of tokens was created by
 * capturing and formatting a full stack trace on a plain object; that was
 * 29% of synthesis time (node --cpu-prof, 100 Sovereigns). While `fn` runs,
 * such captures format to "" (cdktf then keeps no creation trace), and real
 * Errors keep V8's usual `Name: message\n    at …` stack.
 */
function withCheapTokenTraces<T>(fn: () => T): T {
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (error: unknown, frames: NodeJS.CallSite[]) => {
    if (!(error instanceof Error)) return "";
    if (previous) return previous(error, frames);
    return [`${error.name}: ${error.message}`, ...frames.map((frame) => `    at ${frame}`)].join("\n");
  };
  try {
    return fn();
  } finally {
    Error.prepareStackTrace = previous;
  }
}
