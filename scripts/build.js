#!/usr/bin/env node
// Bundles the app (main.ts and everything it imports, the generated bindings
// included) into dist/ with esbuild: one file loads far faster than
// thousands of modules, and no TypeScript compiler runs at synth time.
// Shell scripts under userdata/scripts are bundled as text. Type-checking is
// `npm run typecheck` (tsc --noEmit), separately.
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const outdir = path.join(root, "dist");
const ENTRIES = {
  main: path.join(root, "main.ts"),
  "write-schema": path.join(root, "scripts", "write-schema.ts"),
  preview: path.join(root, "scripts", "preview.ts"),
  "changed-stacks": path.join(root, "scripts", "changed-stacks.ts"),
  rehearse: path.join(root, "scripts", "rehearse", "main.ts"),
  "rehearse-fakes": path.join(root, "scripts", "rehearse", "fakes-server.ts"),
};
/** Inputs of the bundle; any change to them makes dist/ stale. */
const SOURCES = ["main.ts", "app.ts", "config", "constructs", "userdata", "scripts", ".gen/.schema-stamp", "package-lock.json"];

function newestMtime(p) {
  let stat;
  try {
    stat = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  return fs.readdirSync(p).reduce((max, name) => Math.max(max, newestMtime(path.join(p, name))), stat.mtimeMs);
}

/** True when dist/main.js is older than any source. */
function isStale() {
  let built;
  try {
    built = fs.statSync(path.join(outdir, "main.js")).mtimeMs;
  } catch {
    return true;
  }
  return SOURCES.some((s) => newestMtime(path.join(root, s)) > built);
}

function build() {
  require("esbuild").buildSync({
    entryPoints: ENTRIES,
    outdir,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    keepNames: true,
    legalComments: "none",
    loader: { ".sh": "text" },
    logLevel: "warning",
  });
}

module.exports = { build, isStale };

if (require.main === module) {
  try {
    build();
  } catch {
    process.exit(1);
  }
}
