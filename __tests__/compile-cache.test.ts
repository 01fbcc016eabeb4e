/**
 * scripts/compile-cache.js: the app command runs the bundle from V8's code
 * cache. The cache may only make a run faster: same output, rebuilt when
 * anything it depends on changes, and never the reason a run fails.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { run } from "../app";
import { ROOT, exampleWith } from "./fixtures/sovereigns";

const COMPILE_CACHE = path.join(ROOT, "scripts", "compile-cache.js");

let work: string;
beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "compile-cache-"));
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

/** A tiny bundle: exports `value`, optionally fails the run the way main.ts does (exit code). */
function writeBundle(file: string, value: number, exitCode = 0): void {
  fs.writeFileSync(file, `"use strict";\nfunction twice(x) { return x * 2; }\nmodule.exports = { value: twice(${value}) / 2 };\nif (${exitCode}) process.exitCode = ${exitCode};\n`);
}

/** Loads `bundle` through the code cache in a fresh node process; what requireWithCodeCache reported. */
function load(bundle: string, cacheDir: string, nodeArgs: string[] = []): { value: number; hit: boolean; written: boolean; status: number | null } {
  const runner = path.join(work, "runner.js");
  fs.writeFileSync(
    runner,
    `const r = require(${JSON.stringify(COMPILE_CACHE)}).requireWithCodeCache(process.argv[2], { cacheDir: process.argv[3] });\n` +
      `console.log(JSON.stringify({ value: r.exports.value, hit: r.hit, written: r.written }));\n`,
  );
  const result = spawnSync(process.execPath, [...nodeArgs, runner, bundle, cacheDir], { encoding: "utf8" });
  if (result.stdout === "") throw new Error(`runner failed: ${result.stderr}`);
  return { ...JSON.parse(result.stdout), status: result.status };
}

const cacheFileOf = (cacheDir: string, bundle: string) => path.join(cacheDir, `${path.basename(bundle)}.v8cache`);

describe("the code cache", () => {
  test("the first run writes it, the next runs use it", () => {
    const bundle = path.join(work, "bundle.js");
    const cacheDir = path.join(work, "cache");
    writeBundle(bundle, 21);
    expect(load(bundle, cacheDir)).toEqual({ value: 21, hit: false, written: true, status: 0 });
    expect(fs.existsSync(cacheFileOf(cacheDir, bundle))).toBe(true);
    expect(load(bundle, cacheDir)).toEqual({ value: 21, hit: true, written: false, status: 0 });
  });

  test("a changed bundle of the same length is compiled afresh (V8 alone would accept the old cache)", () => {
    const bundle = path.join(work, "bundle.js");
    const cacheDir = path.join(work, "cache");
    writeBundle(bundle, 21);
    load(bundle, cacheDir);
    writeBundle(bundle, 42);
    expect(load(bundle, cacheDir)).toEqual({ value: 42, hit: false, written: true, status: 0 });
    expect(load(bundle, cacheDir)).toEqual({ value: 42, hit: true, written: false, status: 0 });
  });

  test("a run with other V8 flags does not use the cache made without them (the key and V8 both check)", () => {
    const bundle = path.join(work, "bundle.js");
    const cacheDir = path.join(work, "cache");
    writeBundle(bundle, 21);
    load(bundle, cacheDir);
    expect(load(bundle, cacheDir, ["--stack-size=2000"])).toEqual({ value: 21, hit: false, written: true, status: 0 });
  });

  test.each([
    ["damaged V8 data", (data: Buffer) => Buffer.concat([data.subarray(0, data.length - 64), Buffer.alloc(64, 0xa5)])],
    ["a truncated file", (data: Buffer) => data.subarray(0, Math.floor(data.length / 2))],
    ["a foreign file", () => Buffer.from("not a cache at all\n")],
    ["an empty file", () => Buffer.alloc(0)],
  ])("%s falls back to a plain compile and is replaced", (_name, damage) => {
    const bundle = path.join(work, "bundle.js");
    const cacheDir = path.join(work, "cache");
    writeBundle(bundle, 21);
    load(bundle, cacheDir);
    const file = cacheFileOf(cacheDir, bundle);
    fs.writeFileSync(file, damage(fs.readFileSync(file)));
    expect(load(bundle, cacheDir)).toEqual({ value: 21, hit: false, written: true, status: 0 });
    expect(load(bundle, cacheDir)).toEqual({ value: 21, hit: true, written: false, status: 0 });
  });

  test("a cache directory that cannot be created never fails the run", () => {
    const bundle = path.join(work, "bundle.js");
    writeBundle(bundle, 21);
    fs.writeFileSync(path.join(work, "a-file"), "");
    expect(load(bundle, path.join(work, "a-file", "cache"))).toEqual({ value: 21, hit: false, written: false, status: 0 });
  });

  test("a failed run writes no cache", () => {
    const bundle = path.join(work, "bundle.js");
    const cacheDir = path.join(work, "cache");
    writeBundle(bundle, 21, 1);
    expect(load(bundle, cacheDir)).toEqual({ value: 21, hit: false, written: false, status: 1 });
    expect(fs.existsSync(cacheFileOf(cacheDir, bundle))).toBe(false);
  });

  test("concurrent first runs all succeed and leave one valid cache, no temporary files", async () => {
    const bundle = path.join(work, "bundle.js");
    const cacheDir = path.join(work, "cache");
    writeBundle(bundle, 21);
    load(bundle, path.join(work, "warm-up")); // writes runner.js
    const runner = path.join(work, "runner.js");
    const outputs = await Promise.all(
      Array.from(
        { length: 6 },
        () =>
          new Promise<string>((resolve, reject) => {
            const child = spawn(process.execPath, [runner, bundle, cacheDir]);
            let out = "";
            child.stdout.on("data", (chunk) => (out += chunk));
            child.on("error", reject);
            child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
          }),
      ),
    );
    for (const out of outputs) expect(JSON.parse(out).value).toBe(21);
    expect(fs.readdirSync(cacheDir)).toEqual(["bundle.js.v8cache"]);
    expect(load(bundle, cacheDir)).toEqual({ value: 21, hit: true, written: false, status: 0 });
  });
});

describe("npm run synth through the cache", () => {
  /** A spread of Sovereigns: every location, solo and HA, workers, optional blocks on and off. */
  function writeSovereigns(dir: string): void {
    fs.mkdirSync(dir);
    const locations = ["fsn1", "nbg1", "hel1", "ash", "hil", "sin"];
    for (let i = 0; i < 12; i++) {
      const file = exampleWith({
        fqdn: `s${i}.cache-test.example.org`,
        subdomain: `s${i}`,
        location: locations[i % locations.length],
        controlPlane: { serverType: null, ha: i % 4 === 3 },
        workers: { serverType: null, count: i % 3 },
        hardening: { fail2ban: i % 5 !== 0, unattendedUpgrades: i % 2 === 0 },
        ssh: { allowedCidrs: i % 3 === 0 ? ["203.0.113.0/24"] : [] },
        ...(i % 4 === 1 ? { postback: null } : {}),
      });
      fs.writeFileSync(path.join(dir, `s${i}.yaml`), yaml.dump(file));
    }
  }

  function tree(dir: string): Record<string, string> {
    const files: Record<string, string> = {};
    const walk = (at: string) => {
      for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
        const full = path.join(at, entry.name);
        if (entry.isDirectory()) walk(full);
        else files[path.relative(dir, full)] = fs.readFileSync(full, "latin1");
      }
    };
    walk(dir);
    return files;
  }

  test.each([
    ["the shipped example", undefined],
    ["twelve varied Sovereigns", "many"],
  ])("%s: byte-identical stacks from the plain bundle, a cold cache and a warm one", (_name, sovereigns) => {
    const cacheDir = path.join(work, "cache");
    const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", SOVEREIGN_CODE_CACHE_DIR: cacheDir };
    if (sovereigns) {
      env.SOVEREIGNS_DIR = path.join(work, sovereigns);
      writeSovereigns(env.SOVEREIGNS_DIR);
    }
    /** Files written, and what was printed with the output directory's name made neutral. */
    const synth = (args: string[], out: string) => {
      const outdir = path.join(work, out);
      const result = spawnSync("node", args, { cwd: ROOT, env: { ...env, CDKTF_OUTDIR: outdir }, encoding: "utf8" });
      expect(result.status).toBe(0);
      const neutral = (text: string) => text.split(outdir).join("<outdir>");
      return { files: tree(outdir), stdout: neutral(result.stdout), stderr: neutral(result.stderr) };
    };
    const plain = synth(["dist/main.js"], "plain");
    expect(Object.keys(plain.files).filter((f) => f.endsWith("cdk.tf.json"))).toHaveLength(sovereigns ? 12 : 1);

    expect(synth(["scripts/run-app.js"], "cold")).toEqual(plain);
    const cacheFile = path.join(cacheDir, "main.js.v8cache");
    const written = fs.readFileSync(cacheFile);
    expect(synth(["scripts/run-app.js"], "warm")).toEqual(plain);
    // Not rewritten: the warm run used the cache (a miss rewrites it after a good run).
    expect(fs.readFileSync(cacheFile).equals(written)).toBe(true);
  });

  test("the app command writes exactly what run() writes in-process from the sources (no bundle, no start-up settings)", () => {
    const dir = path.join(work, "many");
    writeSovereigns(dir);
    expect(run({ sovereignsDir: dir, outdir: path.join(work, "in-process"), stderr: () => undefined })).toBe(0);
    const env = { ...process.env, CHECKPOINT_DISABLE: "1", SOVEREIGNS_DIR: dir, CDKTF_OUTDIR: path.join(work, "app"), SOVEREIGN_CODE_CACHE_DIR: path.join(work, "cache") };
    expect(spawnSync("node", ["scripts/run-app.js"], { cwd: ROOT, env, encoding: "utf8" }).status).toBe(0);
    const stacks = (out: string) => {
      const files = tree(path.join(work, out));
      return Object.fromEntries(Object.entries(files).filter(([name]) => name.endsWith("cdk.tf.json")));
    };
    const inProcess = stacks("in-process");
    expect(Object.keys(inProcess)).toHaveLength(12);
    expect(stacks("app")).toEqual(inProcess);
  });

  test("a bad file is reported exactly as run() reports it in-process", () => {
    const dir = path.join(work, "bad");
    fs.mkdirSync(dir);
    // Messages of the app's own checks and zod's own texts (a wrong type where an object belongs).
    fs.writeFileSync(path.join(dir, "bad.yaml"), yaml.dump(exampleWith({ workers: { count: 51 }, location: "mars", protection: true, hardening: "yes" })));
    const expected: string[] = [];
    expect(run({ sovereignsDir: dir, outdir: path.join(work, "in-process"), stderr: (line) => expected.push(line) })).toBe(1);
    const env = { ...process.env, CHECKPOINT_DISABLE: "1", SOVEREIGNS_DIR: dir, CDKTF_OUTDIR: path.join(work, "out"), SOVEREIGN_CODE_CACHE_DIR: path.join(work, "cache") };
    for (let i = 0; i < 2; i++) {
      const result = spawnSync("node", ["scripts/run-app.js"], { cwd: ROOT, env, encoding: "utf8" });
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(`${expected.join("\n")}\n`);
    }
  });
});
