/**
 * The cdktf app: one TerraformStack per Sovereign file in sovereigns/
 * (or $SOVEREIGNS_DIR), written to cdktf.out/stacks/<stack>/cdk.tf.json.
 * SOVEREIGN=<file stem or stack name> synthesises just that one.
 * Any invalid file stops the run before a single stack is written.
 */
import { App } from "cdktf";
import { SovereignFileError, formatProblem } from "./config/errors";
import { Sovereign, loadSovereigns } from "./config/load";
import { SovereignStack } from "./constructs/sovereign-stack";

/** Adds one SovereignStack per Sovereign to the app. */
export function addSovereignStacks(app: App, sovereigns: readonly Sovereign[]): SovereignStack[] {
  return sovereigns.map((sovereign) => new SovereignStack(app, sovereign.stackName, { sovereign }));
}

function main(): void {
  let sovereigns: Sovereign[];
  try {
    sovereigns = loadSovereigns(process.env.SOVEREIGNS_DIR || "sovereigns", process.env.SOVEREIGN || undefined);
  } catch (err) {
    if (err instanceof SovereignFileError) {
      for (const problem of err.problems) process.stderr.write(`error: ${formatProblem(problem)}\n`);
      process.stderr.write(`${err.problems.length} problem(s); no stack was synthesised.\n`);
      process.exit(1);
    }
    throw err;
  }
  const app = new App();
  addSovereignStacks(app, sovereigns);
  app.synth();
}

if (require.main === module) main();
