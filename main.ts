/**
 * The cdktf app: one TerraformStack per Sovereign file in sovereigns/
 * (or $SOVEREIGNS_DIR), written to cdktf.out/stacks/<stack>/cdk.tf.json.
 * SOVEREIGN=<file stem or stack name> synthesises just that one.
 * Any invalid file stops the run before a single stack is written.
 */
// First import: settings that must precede loading cdktf and zod.
import { endLoadPhase } from "./startup";
import { run } from "./app";

endLoadPhase();
process.exitCode = run({ sovereignsDir: process.env.SOVEREIGNS_DIR, only: process.env.SOVEREIGN });
