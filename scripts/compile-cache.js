// Loads a CommonJS bundle with V8's code cache, so a run deserialises the
// bundle's compiled code instead of parsing and compiling 1-2 MB of
// JavaScript each time (Node 20 has no module.enableCompileCache).
//
// The cache is one file per bundle, written after a successful run so it
// holds every function that run compiled. Its header names the key it was
// made for (the SHA-256 of the bundle's bytes, the Node and V8 versions, the
// architecture and every V8/Node flag of this process) and the SHA-256 of
// the data. Any difference, damage, a cache V8 itself refuses, or any I/O
// problem means a plain compile: the cache can make a run faster, never
// different and never fail.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const vm = require("vm");
const Module = require("module");
const { isAscii } = require("buffer");

const MAGIC = "sovereign-cdktf v8 code cache 1\n";
/** CommonJS's function wrapper, as Node's loader applies it. */
const WRAPPER = ["(function (exports, require, module, __filename, __dirname) { ", "\n});"];
const HASH_HEX = 64; // SHA-256, hex

/**
 * Default cache directory: $SOVEREIGN_CODE_CACHE_DIR, else the usual place
 * for tools' caches (outside git, one per checkout, created by the first run).
 */
const DEFAULT_CACHE_DIR = process.env.SOVEREIGN_CODE_CACHE_DIR || path.join(__dirname, "..", "node_modules", ".cache", "sovereign-cdktf");

/** What the cache key covers besides the bundle's bytes. */
function runtimeIdentity() {
  return [process.version, process.versions.v8, process.arch, process.execArgv.join(" "), process.env.NODE_OPTIONS || ""].join("\0");
}

/** The key for one bundle's bytes in this runtime (hex SHA-256). */
function cacheKey(bytes) {
  return sha256(bytes, `\0${runtimeIdentity()}`);
}

/** SHA-256 of the parts, one after the other, hex. */
function sha256(...parts) {
  const hash = crypto.createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
}

// File layout: MAGIC, the key, the SHA-256 of the V8 data (release builds of
// V8 do not checksum code caches), each on its own line; then the V8 data.
const HEADER_BYTES = MAGIC.length + 2 * (HASH_HEX + 1);

/** The cached data stored for `key`, or undefined when absent, unreadable, damaged or made for another key. */
function readCache(file, key) {
  let data;
  try {
    data = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  if (data.length <= HEADER_BYTES) return undefined;
  const [magic, storedKey, payloadHash] = data.toString("latin1", 0, HEADER_BYTES).split("\n");
  if (`${magic}\n` !== MAGIC || storedKey !== key) return undefined;
  const payload = data.subarray(HEADER_BYTES);
  return sha256(payload) === payloadHash ? payload : undefined;
}

/** Writes the cache safely under concurrent runs: a private temporary file, then an atomic rename. */
function writeCache(file, key, cachedData) {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, Buffer.concat([Buffer.from(`${MAGIC}${key}\n${sha256(cachedData)}\n`, "latin1"), cachedData]));
    fs.renameSync(tmp, file);
    return true;
  } catch {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // nothing left to do: the next run compiles plainly again
    }
    return false;
  }
}

/**
 * Runs `filename` as a CommonJS module, as `require` would, using (and after
 * a successful run refreshing) its code cache in `cacheDir`. Returns the
 * module's exports and whether the cache was used (`hit`) or written.
 */
function requireWithCodeCache(filename, { cacheDir = DEFAULT_CACHE_DIR } = {}) {
  filename = path.resolve(filename);
  const bytes = fs.readFileSync(filename);
  // esbuild writes ASCII (it escapes the rest); latin1 decoding is then exact and cheapest.
  const source = isAscii(bytes) ? bytes.toString("latin1") : bytes.toString("utf8");
  const cacheFile = path.join(cacheDir, `${path.basename(filename)}.v8cache`);
  const key = cacheKey(bytes);
  const cachedData = readCache(cacheFile, key);

  // No importModuleDynamically: the bundle has no import() (build.test.ts checks),
  // and Node 20's option for it is experimental and warns on stderr.
  const script = new vm.Script(`${WRAPPER[0]}${source}${WRAPPER[1]}`, { filename, cachedData });
  const hit = cachedData !== undefined && !script.cachedDataRejected;

  const mod = new Module(filename, module);
  mod.filename = filename;
  const moduleRequire = Module.createRequire(filename);
  script.runInThisContext().call(mod.exports, mod.exports, moduleRequire, mod, filename, path.dirname(filename));
  mod.loaded = true;

  // A failed run compiled little of the synthesis path; keep the cache for a good one.
  let written = false;
  if (!hit && !process.exitCode) {
    try {
      written = writeCache(cacheFile, key, script.createCachedData());
    } catch {
      written = false;
    }
  }
  return { exports: mod.exports, hit, written, cacheFile };
}

module.exports = { requireWithCodeCache };
