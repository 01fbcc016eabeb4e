// Whether the app command must rebuild dist/main.js before running it.
// build.js writes dist/main.js.inputs: the files the bundle was made from,
// as esbuild reported them (node_modules aside), plus package-lock.json
// (the packages), tsconfig.json and scripts/build.js (how it is built).
// The bundle is stale when it or that list is missing, or when a listed
// file changed after the bundle or is gone. Checking only these, not every
// file under the source folders, keeps the check to a few dozen stat calls.
"use strict";
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
/** Suffix of the list of a bundle's inputs, next to the bundle. */
const INPUTS_SUFFIX = ".inputs";

/** True when `bundle` (default dist/main.js) is older than any of its inputs, or they are unknown. */
function isStale({ bundle = path.join(ROOT, "dist", "main.js"), root = ROOT } = {}) {
  const built = fs.statSync(bundle, { throwIfNoEntry: false });
  if (!built) return true;
  let list;
  try {
    list = fs.readFileSync(bundle + INPUTS_SUFFIX, "utf8");
  } catch {
    return true;
  }
  const inputs = list.split("\n").filter((line) => line !== "");
  if (inputs.length === 0) return true;
  return inputs.some((input) => {
    const stat = fs.statSync(path.join(root, input), { throwIfNoEntry: false });
    return !stat || stat.mtimeMs > built.mtimeMs;
  });
}

/** Writes the list isStale reads: `inputs` are paths relative to the project root. */
function writeInputs(bundle, inputs) {
  fs.writeFileSync(bundle + INPUTS_SUFFIX, `${[...new Set(inputs)].sort().join("\n")}\n`);
}

module.exports = { isStale, writeInputs, INPUTS_SUFFIX };
