#!/usr/bin/env node
// The cdktf app command (cdktf.json "app", `npm run synth`): rebuilds
// dist/main.js only when a source changed since the last build, then runs
// it in the same process, so `cdktf synth` always reflects the code. The
// bundle runs from V8's code cache (scripts/compile-cache.js).
"use strict";
const path = require("path");
const { buildInChildProcess, isStale } = require("./build");
const { requireWithCodeCache } = require("./compile-cache");

if (isStale()) buildInChildProcess();
requireWithCodeCache(path.join(__dirname, "..", "dist", "main.js"));
