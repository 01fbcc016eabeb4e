// Whether the app command must rebuild dist/main.js before running it.
// build.js writes dist/main.js.inputs: the time and size of the bundle and
// of every file it was made from, as esbuild reported them (node_modules
// aside), plus package-lock.json (the packages), tsconfig.json and
// scripts/build.js (how it is built). The bundle is stale when that list
// is missing, or when any file in it is gone or has another time or size
// than when it was built: a newer edit, or an older copy put back
// (`cp -p`, `tar x`). Checking only these, not every file under the
// source folders, keeps the check to a few dozen stat calls.
"use strict";
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
/** Suffix of the list of a bundle's inputs, next to the bundle. */
const INPUTS_SUFFIX = ".inputs";

/** A line of the list: `mtimeMs size path`. */
const lineOf = (stat, file) => `${stat.mtimeMs} ${stat.size} ${file}`;
/** The path of a line (it may hold spaces). */
const fileOf = (line) => line.slice(line.indexOf(" ", line.indexOf(" ") + 1) + 1);
const statOf = (root, file) => fs.statSync(path.join(root, file), { throwIfNoEntry: false });

/** True when `bundle` (default dist/main.js) or any of its inputs differs from when it was built, or they are unknown. */
function isStale({ bundle = path.join(ROOT, "dist", "main.js"), root = ROOT } = {}) {
  let list;
  try {
    list = fs.readFileSync(bundle + INPUTS_SUFFIX, "utf8");
  } catch {
    return true;
  }
  const lines = list.split("\n").filter((line) => line !== "");
  const self = path.relative(root, bundle);
  if (!lines.some((line) => fileOf(line) === self)) return true;
  return lines.some((line) => {
    const stat = statOf(root, fileOf(line));
    return !stat || lineOf(stat, fileOf(line)) !== line;
  });
}

/** Removes the list: until a build writes a new one, the bundle counts as stale. */
function forgetInputs(bundle) {
  fs.rmSync(bundle + INPUTS_SUFFIX, { force: true });
}

/**
 * Writes the list isStale reads for `bundle`, built from `inputs` (paths
 * relative to `root`) by a build that started at `startedMs`. When one of
 * them changed after the build started, the bundle may hold its older
 * content: no list is written, so the next run builds again. Returns
 * whether the list was written.
 */
function writeInputs(bundle, inputs, { root = ROOT, startedMs = Infinity } = {}) {
  const self = path.relative(root, bundle);
  const files = [...new Set([self, ...inputs])].sort();
  const lines = [];
  for (const file of files) {
    const stat = statOf(root, file);
    if (!stat || (file !== self && stat.mtimeMs > startedMs)) {
      forgetInputs(bundle);
      return false;
    }
    lines.push(lineOf(stat, file));
  }
  fs.writeFileSync(bundle + INPUTS_SUFFIX, `${lines.join("\n")}\n`);
  return true;
}

module.exports = { isStale, writeInputs, forgetInputs, INPUTS_SUFFIX };
