#!/usr/bin/env node
// The cdktf app command (cdktf.json "app", `npm run synth`): rebuilds
// dist/main.js only when one of its inputs changed since the last build
// (scripts/stale.js), then runs it in the same process, so `cdktf synth`
// always reflects the code. The bundle runs from V8's code cache
// (scripts/compile-cache.js).
"use strict";
const path = require("path");
const { isStale } = require("./stale");
const { requireWithCodeCache } = require("./compile-cache");

if (isStale()) require("./build").buildInChildProcess();
requireWithCodeCache(path.join(__dirname, "..", "dist", "main.js"));
