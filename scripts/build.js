#!/usr/bin/env node
// Bundles the app (main.ts and everything it imports, the generated bindings
// included) into dist/ with esbuild: one file loads far faster than
// thousands of modules, and no TypeScript compiler runs at synth time.
// Shell scripts under userdata/scripts are bundled as text. Type-checking is
// `npm run typecheck` (tsc --noEmit), separately.
"use strict";
const fs = require("fs");
const path = require("path");
const { isBuiltin } = require("module");
const { forgetInputs, writeInputs } = require("./stale");

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
/**
 * Packages cdktf requires at load time but calls only for features this app
 * does not use: archiver (zipping assets) with its ~60 dependencies, semver
 * and Node's child_process (checking a binary's version; child_process
 * also loads net and dgram). Each is replaced by a stand-in that loads the
 * real package on first call or property access, so a run that never uses
 * them never evaluates them. They are not bundled either: a stand-in
 * loads the package from cdktf's own dependencies in node_modules.
 */
const LAZY_PACKAGES = ["archiver", "semver", "child_process"];
const LAZY_NAMESPACE = "lazy-package";

/**
 * esbuild plugin: `require(<lazy package>)` from cdktf's own code gets the
 * stand-in, and `require("assert")` gets {@link assertStandIn}.
 */
const cdktfStandIns = {
  name: "cdktf-stand-ins",
  setup(b) {
    // Where the bundle finds cdktf's dependencies, relative to itself: dist/ and node_modules/ move together.
    const cdktfDir = path.dirname(require.resolve("cdktf/package.json", { paths: [root] }));
    const fromBundle = path.relative(path.resolve(b.initialOptions.outdir ?? outdir), cdktfDir);
    const filter = new RegExp(`^(${[...LAZY_PACKAGES, "assert"].join("|")})$`);
    b.onResolve({ filter }, (args) => {
      if (!/[\\/]node_modules[\\/]cdktf[\\/]lib[\\/]/.test(args.importer)) return undefined;
      return { path: args.path, namespace: LAZY_NAMESPACE };
    });
    b.onLoad({ filter: /.*/, namespace: LAZY_NAMESPACE }, (args) => {
      if (args.path === "assert") return { contents: assertStandIn(), loader: "js" };
      const name = JSON.stringify(args.path);
      const load = isBuiltin(args.path)
        ? `require(${name})`
        : `require(require.resolve(${name}, { paths: [require("path").join(__dirname, ${JSON.stringify(fromBundle)})] }))`;
      return { contents: lazyStandIn(args.path, load), loader: "js" };
    });
  },
};

/** Source of a stand-in: a callable object that forwards every use to the package, loaded (by `load`, an expression) then. */
function lazyStandIn(name, load = `require(${JSON.stringify(name)})`) {
  return `"use strict";
let real;
const load = () => real || (real = ${load});
module.exports = new Proxy(function ${name.replace(/\W/g, "_")}() {}, {
  apply: (_, self, args) => Reflect.apply(load(), self, args),
  construct: (_, args) => Reflect.construct(load(), args),
  get: (_, key) => load()[key],
  has: (_, key) => key in load(),
});
`;
}

/**
 * cdktf's assertions (`assert(cond, message)`, `assert.ok(cond, message)`)
 * all pass in a good run, but loading node:assert costs about a millisecond
 * and makes Node set up process.stderr for its colours. cdktf's
 * `require("assert")` gets this stand-in: a passing assertion is a plain
 * test, a failing one (and any other use) goes to node:assert itself, so
 * the error and its message are node:assert's.
 */
function assertStandIn() {
  return `"use strict";
let real;
const load = () => real || (real = require("assert"));
function ok(value, message) {
  if (!value) load().ok(value, message);
}
module.exports = new Proxy(ok, {
  apply: (_, self, args) => Reflect.apply(ok, self, args),
  get: (_, key) => (key === "ok" ? ok : load()[key]),
  has: (_, key) => key in load(),
});
`;
}

/**
 * cdktf and constructs are CommonJS: esbuild gives every module importing
 * them its own copy of their exports (~125 getters each, ~30 importers).
 * Importers outside node_modules get one ES-module facade per package
 * instead, so the exports are copied once.
 */
const FACADE_PACKAGES = ["cdktf", "constructs"];
const FACADE_NAMESPACE = "package-facade";

/** esbuild plugin: `import … from "cdktf"` in the app's own modules goes through the package's facade. */
const packageFacades = {
  name: "package-facades",
  setup(b) {
    const filter = new RegExp(`^(${FACADE_PACKAGES.join("|")})$`);
    b.onResolve({ filter }, (args) => {
      if (args.namespace === FACADE_NAMESPACE || /[\\/]node_modules[\\/]/.test(args.importer)) return undefined;
      return { path: args.path, namespace: FACADE_NAMESPACE };
    });
    b.onLoad({ filter: /.*/, namespace: FACADE_NAMESPACE }, (args) => ({ contents: `export * from ${JSON.stringify(args.path)};`, resolveDir: root, loader: "js" }));
  },
};

/** Inputs of a bundle that esbuild does not report: the packages, the TypeScript settings esbuild reads, and this file. */
const IMPLICIT_INPUTS = ["package-lock.json", "tsconfig.json", "scripts/build.js"];

/**
 * Builds dist/ (esbuild plugins need its asynchronous API); `overrides` serve
 * tests and experiments. Next to main.js it writes the list of its inputs
 * that scripts/stale.js checks.
 */
async function build(overrides = {}) {
  const options = {
    entryPoints: ENTRIES,
    outdir,
    absWorkingDir: root,
    metafile: true,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    // Shorter source reads and hashes faster and makes a smaller code cache.
    // Identifiers keep their names (messages and stack traces name classes
    // and functions), so keepNames is not needed; its __name call per
    // function cost 4% of a run.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "none",
    loader: { ".sh": "text" },
    plugins: [cdktfStandIns, packageFacades],
    logLevel: "warning",
    ...overrides,
  };
  const main = path.join(path.resolve(root, options.outdir), "main.js");
  // Until this build has listed its inputs, the bundle counts as stale.
  forgetInputs(main);
  const startedMs = Date.now();
  const result = await require("esbuild").build(options);
  for (const [output, { inputs }] of Object.entries(result.metafile?.outputs ?? {})) {
    if (path.resolve(root, output) !== main || options.write === false) continue;
    // Virtual modules (namespace:name) and packages are left out: package-lock.json stands for the packages.
    const files = Object.keys(inputs).filter((input) => !input.includes(":") && !/(^|\/)node_modules\//.test(input));
    writeInputs(main, [...files, ...IMPLICIT_INPUTS], { startedMs });
  }
  return result;
}

/** Builds dist/ from a synchronous caller, in a child process; throws when the build fails. */
function buildInChildProcess() {
  const result = require("child_process").spawnSync(process.execPath, [__filename], { stdio: "inherit" });
  if (result.status !== 0) throw new Error("scripts/build.js failed (esbuild's messages are above)");
}

module.exports = { build, buildInChildProcess, lazyStandIn, assertStandIn, LAZY_PACKAGES };

if (require.main === module) {
  // esbuild has already printed what went wrong.
  build().catch(() => process.exit(1));
}
