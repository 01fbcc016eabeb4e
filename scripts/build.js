#!/usr/bin/env node
// Bundles the app (main.ts and everything it imports, the generated bindings
// included) into dist/main.js with esbuild: one file loads far faster than
// thousands of modules, and no TypeScript compiler runs at synth time.
// Shell scripts under userdata/scripts are bundled as text. Type-checking is
// `npm run typecheck` (tsc --noEmit), separately.
"use strict";
const path = require("path");
const esbuild = require("esbuild");

const root = path.resolve(__dirname, "..");
esbuild
  .build({
    entryPoints: {
      main: path.join(root, "main.ts"),
      "write-schema": path.join(root, "scripts", "write-schema.ts"),
      preview: path.join(root, "scripts", "preview.ts"),
    },
    outdir: path.join(root, "dist"),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    keepNames: true,
    legalComments: "none",
    loader: { ".sh": "text" },
    logLevel: "warning",
  })
  .catch(() => process.exit(1));
