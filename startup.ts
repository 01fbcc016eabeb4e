/**
 * Process-wide settings for one run of the app, made before cdktf and zod
 * load (main.ts imports this module first). Each makes start-up cheaper;
 * neither changes what is synthesised or any message.
 *
 * zod is imported as a namespace (`import * as z`) here and in config/:
 * esbuild then bundles only the parts used (no other locales, no JSON-schema
 * conversion in the app): the bundle shrank from 1.67 to 1.22 MB.
 */
import * as z from "zod";
import { installCheapTokenTraces } from "./traces";

// zod compiles a parser per object schema with `new Function` on first use.
// That code is not in the bundle's V8 code cache and a run parses each schema
// a handful of times, so interpreting is cheaper; results are the same.
z.config({ jitless: true });

// The token creation traces cdktf's own modules capture while they load
// cost nothing until endLoadPhase() (app.ts does the same during synthesis).
const restoreTraces = installCheapTokenTraces();

/** Ends the load phase: stack captures work as usual again. */
export function endLoadPhase(): void {
  restoreTraces();
}
