#!/usr/bin/env node
// `npm run bench`: whole-process wall time (median of RUNS runs after one
// warm-up) and peak RSS of the cdktf app command for 1, 10, 100 and 500
// generated Sovereigns, one Sovereign selected out of 500, and node's own
// start-up as the floor. The floor and 1 Sovereign run interleaved
// (START_RUNS each) so both see the same machine load; their ratio is the
// start-up target (at most 2.2). Prints a table; asserts nothing (the
// closing note and README carry the numbers).
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const root = path.resolve(__dirname, "..");
const RUNS = Number(process.env.RUNS || 5);
const START_RUNS = Number(process.env.START_RUNS || 21);
const START_TARGET = 2.2;
const SIZES = (process.env.SIZES || "1,10,100,500").split(",").map(Number);
const app = JSON.parse(fs.readFileSync(path.join(root, "cdktf.json"), "utf8")).app;
const haveGnuTime = fs.existsSync("/usr/bin/time");

// Make sure the bundle is fresh before timing, so no run pays for a build.
require("./build").buildInChildProcess();

const example = fs.readFileSync(path.join(root, "examples", "example.yaml"), "utf8");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-"));

function sovereignsDir(n) {
  const dir = path.join(work, `sovereigns-${n}`);
  fs.mkdirSync(dir);
  for (let i = 1; i <= n; i++) {
    // Vary what a real fleet varies: name, location, size, workers.
    const location = ["fsn1", "nbg1", "hel1", "ash", "hil", "sin"][i % 6];
    const text = example
      .replace("omantel.omani.works", `s${i}.bench.example.org`)
      .replace("subdomain: omantel", `subdomain: s${i}`)
      .replace("location: fsn1", `location: ${location}`)
      // Let each location pick its default server types (cx exists only in the EU).
      .replace(/serverType: [a-z0-9]+, /g, "")
      .replace("ha: false", `ha: ${i % 4 === 0}`)
      .replace("count: 0", `count: ${i % 3}`);
    fs.writeFileSync(path.join(dir, `s${i}.yaml`), text);
  }
  return dir;
}

function once(command, env) {
  const outdir = fs.mkdtempSync(path.join(work, "out-"));
  const args = haveGnuTime ? ["/usr/bin/time", "-f", "%M", "sh", "-c", command] : ["sh", "-c", command];
  const started = process.hrtime.bigint();
  const result = spawnSync(args[0], args.slice(1), { cwd: root, env: { ...process.env, ...env, CDKTF_OUTDIR: outdir }, encoding: "utf8" });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  fs.rmSync(outdir, { recursive: true, force: true });
  if (result.status !== 0) throw new Error(`${command} failed:\n${result.stderr}`);
  const rssKiB = haveGnuTime ? Number(result.stderr.trim().split("\n").pop()) : NaN;
  return { seconds, rssKiB };
}

function summarise(runs) {
  const times = runs.map((r) => r.seconds).sort((a, b) => a - b);
  return { runs: runs.length, median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1], rssMiB: Math.max(...runs.map((r) => r.rssKiB)) / 1024 };
}

/** Each case `runs` times after one warm-up each (file cache, the bundle's code cache), interleaved: a, b, a, b, … */
function measureInterleaved(cases, runs) {
  for (const c of cases) once(c.command, c.env);
  const all = cases.map(() => []);
  for (let i = 0; i < runs; i++) cases.forEach((c, j) => all[j].push(once(c.command, c.env)));
  return all.map(summarise);
}

function measure(command, env = {}) {
  return measureInterleaved([{ command, env }], RUNS)[0];
}

const rows = [];
const results = {};
const [floor, one] = measureInterleaved([{ command: "node -e 0", env: {} }, { command: app, env: { SOVEREIGNS_DIR: sovereignsDir(1) } }], START_RUNS);
rows.push(["node -e 0 (floor)", floor]);
results[1] = one;
rows.push(["1 Sovereign", one]);
for (const n of SIZES.filter((size) => size !== 1)) {
  results[n] = measure(app, { SOVEREIGNS_DIR: sovereignsDir(n) });
  rows.push([`${n} Sovereigns`, results[n]]);
}
if (SIZES.includes(500)) {
  rows.push(["1 selected of 500 (SOVEREIGN=s250)", measure(app, { SOVEREIGNS_DIR: path.join(work, "sovereigns-500"), SOVEREIGN: "s250" })]);
}

const cpu = os.cpus()[0]?.model ?? "unknown CPU";
console.log(`machine: ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}; runs after a warm-up each; app: ${app}`);
console.log("| case | runs | median s | min s | max s | peak RSS MiB |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const [name, r] of rows) {
  console.log(`| ${name} | ${r.runs} | ${r.median.toFixed(3)} | ${r.min.toFixed(3)} | ${r.max.toFixed(3)} | ${Number.isNaN(r.rssMiB) ? "n/a" : r.rssMiB.toFixed(0)} |`);
}
console.log("");
const ratio = one.median / floor.median;
console.log(`start-up ratio, 1 Sovereign / node -e 0 (medians, interleaved): ${ratio.toFixed(2)} (target ≤ ${START_TARGET}: ${ratio <= START_TARGET ? "met" : "NOT met"})`);
const sizes = SIZES.filter((n) => n > 1 && results[1]);
for (const n of sizes) {
  console.log(`marginal cost per extra stack, 1 → ${n}: ${(((results[n].median - results[1].median) / (n - 1)) * 1000).toFixed(1)} ms`);
}
fs.rmSync(work, { recursive: true, force: true });
