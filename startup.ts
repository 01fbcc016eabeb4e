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

// zod compiles a parser per object schema with `new Function` on first use.
// That code is not in the bundle's V8 code cache and a run parses each schema
// a handful of times, so interpreting is cheaper; results are the same.
z.config({ jitless: true });

const previous = Error.prepareStackTrace;

// cdktf records where each token was created by capturing and formatting a
// full stack trace on a plain object, also for the tokens its own modules
// create while loading. Until endLoadPhase(), such captures format to ""
// (app.ts does the same during synthesis); real Errors keep V8's usual
// `Name: message\n    at …` stack.
Error.prepareStackTrace = (error: unknown, frames: NodeJS.CallSite[]) => {
  if (!(error instanceof Error)) return "";
  if (previous) return previous(error, frames);
  return [`${error.name}: ${error.message}`, ...frames.map((frame) => `    at ${frame}`)].join("\n");
};

/** Restores stack-trace formatting once the app's modules have loaded. */
export function endLoadPhase(): void {
  Error.prepareStackTrace = previous;
}
