#!/usr/bin/env node
// The cdktf app command (cdktf.json "app", `npm run synth`): rebuilds
// dist/main.js only when a source changed since the last build, then runs
// it in the same process, so `cdktf synth` always reflects the code.
"use strict";
const path = require("path");
const { build, isStale } = require("./build");

if (isStale()) build();
require(path.join(__dirname, "..", "dist", "main.js"));
