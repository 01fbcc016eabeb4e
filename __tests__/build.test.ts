/**
 * scripts/build.js: cdktf's archiver, semver and child_process are bundled
 * as stand-ins that load the real package on first use.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "./fixtures/sovereigns";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { build, lazyStandIn, assertStandIn, LAZY_PACKAGES } = require("../scripts/build.js");

describe("a lazy package stand-in", () => {
  /** Evaluates the stand-in for `real` as a module; counts how often the real package is loaded. */
  function standIn(real: unknown): { exports: any; loads: () => number } {
    let loads = 0;
    const module = { exports: undefined as unknown };
    const require = (id: string) => {
      expect(id).toBe("pkg");
      loads++;
      return real;
    };
    new Function("require", "module", lazyStandIn("pkg"))(require, module);
    return { exports: module.exports, loads: () => loads };
  }

  test("loads nothing until first used, then once", () => {
    const real = Object.assign((x: number) => x + 1, { satisfies: (v: string) => v === "1.2.3" });
    const lazy = standIn(real);
    expect(lazy.loads()).toBe(0);
    expect(lazy.exports(1)).toBe(2);
    expect(lazy.exports.satisfies("1.2.3")).toBe(true);
    expect(lazy.loads()).toBe(1);
  });

  test("forwards calls with their this and arguments, property reads, `in` and `new`", () => {
    class Real {
      constructor(readonly a: number) {}
    }
    const real = Object.assign(
      function (this: unknown, ...args: unknown[]) {
        return { self: this, args };
      },
      { Real, version: "7" },
    );
    const { exports: lazy } = standIn(real);
    const self = { name: "caller" };
    expect(lazy.call(self, 1, "two")).toEqual({ self, args: [1, "two"] });
    expect(lazy.version).toBe("7");
    expect("Real" in lazy).toBe(true);
    expect("missing" in lazy).toBe(false);
    expect(new lazy.Real(5)).toEqual(new Real(5));
    expect(new lazy()).toBeInstanceOf(Object);
  });
});

describe("the app bundle", () => {
  test("has no import(): scripts/compile-cache.js runs it without a dynamic-import hook", () => {
    // `npm test` builds dist/ first.
    expect(fs.readFileSync(path.join(ROOT, "dist", "main.js"), "utf8")).not.toMatch(/\bimport\s*\(/);
  });

  let work: string;
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lazy-packages-"));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test("bundles only the parts of zod the app uses (`import * as z`; `import { z }` would add every locale)", async () => {
    const result = await build({ entryPoints: { main: path.join(ROOT, "main.ts") }, outdir: path.join(work, "zod"), metafile: true, logLevel: "silent" });
    const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith("main.js"))![1] as { inputs: Record<string, { bytesInOutput: number }> };
    // Files esbuild read but tree-shook away contribute no bytes.
    const zodFiles = Object.entries(output.inputs)
      .filter(([input, { bytesInOutput }]) => input.includes("node_modules/zod/") && bytesInOutput > 0)
      .map(([input]) => input);
    expect(zodFiles.length).toBeGreaterThan(0);
    expect(zodFiles.filter((input) => /\/locales\/(?!en\.js$)/.test(input))).toEqual([]);
    expect(zodFiles.filter((input) => input.includes("from-json-schema"))).toEqual([]);
  });

  test("the app's modules import cdktf and constructs through one facade each; the lazy packages are not bundled", async () => {
    const result = await build({ entryPoints: { main: path.join(ROOT, "main.ts") }, outdir: path.join(work, "facades"), metafile: true, logLevel: "silent" });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toEqual(expect.arrayContaining(["package-facade:cdktf", "package-facade:constructs"]));
    const bundled = fs.readFileSync(path.join(work, "facades", "main.js"), "utf8");
    // One copy of each package's exports (esbuild's __toESM), not one per importing module.
    expect(bundled.match(/__toESM\(require_lib\d*\(\)\)/g)).toHaveLength(2);
    expect(inputs.filter((input) => /node_modules\/cdktf\/node_modules\/(archiver|semver)\//.test(input))).toEqual([]);
  });

  test("bundles a stand-in for each lazy package; a synthesis loads neither archiver nor child_process, and both child_process and semver work through their stand-ins", async () => {
    const result = await build({ entryPoints: { probe: path.join(ROOT, "__tests__", "fixtures", "lazy-packages-probe.ts") }, outdir: work, metafile: true, logLevel: "silent" });
    const inputs = Object.keys(result.metafile.inputs);
    for (const name of LAZY_PACKAGES) expect(inputs).toContain(`lazy-package:${name}`);

    const run = spawnSync(process.execPath, [path.join(work, "probe.js"), path.join(work, "out")], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    const report = JSON.parse(run.stdout);
    expect(report.archiverLoadedBySynth).toBe(false);
    expect(report.childProcessLoadedBySynth).toBe(false);
    expect(report.satisfied).toEqual([]);
    expect(report.refused).toEqual([expect.stringContaining("is lower than the required version >=999.0.0")]);
  });
});

describe("cdktf's assert stand-in", () => {
  /** Evaluates the stand-in; counts how often node:assert is loaded. */
  function standIn(): { assert: any; loads: () => number } {
    let loads = 0;
    const module = { exports: undefined as unknown };
    const require = (id: string) => {
      expect(id).toBe("assert");
      loads++;
      return jest.requireActual("assert");
    };
    new Function("require", "module", assertStandIn())(require, module);
    return { assert: module.exports, loads: () => loads };
  }

  test("passing assertions, called or as .ok, do not load node:assert", () => {
    const { assert, loads } = standIn();
    assert(true, "never");
    assert.ok(1, "never");
    (0, assert.ok)("yes", "never");
    expect(loads()).toBe(0);
  });

  test.each([
    ["called", (assert: any) => assert(false, "Element type not set")],
    [".ok", (assert: any) => (0, assert.ok)(undefined, "Element type not set")],
  ])("a failing assertion (%s) throws node:assert's AssertionError with cdktf's message", (_how, fail) => {
    const { assert, loads } = standIn();
    let thrown: any;
    try {
      fail(assert);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(jest.requireActual("assert").AssertionError);
    expect(thrown.message).toBe("Element type not set");
    expect(loads()).toBe(1);
  });

  test("any other use is node:assert's", () => {
    const { assert } = standIn();
    expect(() => assert.strictEqual(1, 2)).toThrow(/Expected values to be strictly equal/);
    expect(assert.AssertionError).toBe(jest.requireActual("assert").AssertionError);
  });
});

describe("what a synthesis loads", () => {
  test("the app command, synthesising a Sovereign, loads no built-in it does not need: no sockets (net), no child_process", () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "loads-"));
    try {
      const dir = path.join(work, "sovereigns");
      fs.mkdirSync(dir);
      fs.copyFileSync(path.join(ROOT, "examples", "example.yaml"), path.join(dir, "example.yaml"));
      const report = path.join(work, "loaded.json");
      const preload = path.join(work, "preload.js");
      fs.writeFileSync(preload, `process.on("exit", () => require("fs").writeFileSync(${JSON.stringify(report)}, JSON.stringify(process.moduleLoadList)));\n`);
      const run = spawnSync(process.execPath, ["-r", preload, path.join(ROOT, "scripts", "run-app.js")], {
        cwd: ROOT,
        env: { ...process.env, SOVEREIGNS_DIR: dir, CDKTF_OUTDIR: path.join(work, "out"), CHECKPOINT_DISABLE: "1" },
        encoding: "utf8",
      });
      expect(run.status).toBe(0);
      const loaded: string[] = JSON.parse(fs.readFileSync(report, "utf8"));
      expect(loaded).toContain("NativeModule zlib"); // the list is real: user data is gzipped
      expect(loaded.filter((name) => /^NativeModule (net|child_process|dgram|assert)$/.test(name))).toEqual([]);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});

describe("when the app command rebuilds (scripts/stale.js)", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { isStale, writeInputs, INPUTS_SUFFIX } = require("../scripts/stale.js");
  let work: string;
  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "stale-"));
  });
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

  const SOURCES = ["a.ts", "lib/b.sh"];

  /** A project in `work`: two sources, an unrelated file and a bundle built from the sources. */
  function project(): { bundle: string; setTime: (file: string, seconds: number) => void } {
    const setTime = (file: string, seconds: number) => fs.utimesSync(path.join(work, file), seconds, seconds);
    for (const file of [...SOURCES, "notes.md"]) {
      fs.mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
      fs.writeFileSync(path.join(work, file), file);
      setTime(file, 1_700_000_000);
    }
    const bundle = path.join(work, "dist", "main.js");
    fs.mkdirSync(path.dirname(bundle), { recursive: true });
    fs.writeFileSync(bundle, "bundle");
    expect(writeInputs(bundle, SOURCES, { root: work })).toBe(true);
    return { bundle, setTime };
  }

  test("a bundle whose inputs are as they were at the build is fresh; a change to a file it was not built from does not matter", () => {
    const { bundle, setTime } = project();
    expect(isStale({ bundle, root: work })).toBe(false);
    setTime("notes.md", 1_800_000_000);
    fs.appendFileSync(path.join(work, "notes.md"), "more");
    expect(isStale({ bundle, root: work })).toBe(false);
  });

  test.each(SOURCES)("an edit of %s after the build makes it stale", (file) => {
    const { bundle, setTime } = project();
    setTime(file, 1_800_000_000);
    expect(isStale({ bundle, root: work })).toBe(true);
  });

  test("an older copy put back (cp -p, tar x) makes it stale, and so does new content with the old time", () => {
    const first = project();
    first.setTime("a.ts", 1_600_000_000);
    expect(isStale({ bundle: first.bundle, root: work })).toBe(true);
    const second = project();
    fs.writeFileSync(path.join(work, "a.ts"), "a longer a.ts");
    second.setTime("a.ts", 1_700_000_000);
    expect(isStale({ bundle: second.bundle, root: work })).toBe(true);
  });

  test("a listed input that is gone, a changed or missing bundle, or a missing list make it stale", () => {
    const { bundle } = project();
    fs.rmSync(path.join(work, "a.ts"));
    expect(isStale({ bundle, root: work })).toBe(true);
    const second = project();
    fs.writeFileSync(second.bundle, "another bundle");
    expect(isStale({ bundle: second.bundle, root: work })).toBe(true);
    const third = project();
    fs.rmSync(third.bundle);
    expect(isStale({ bundle: third.bundle, root: work })).toBe(true);
    const fourth = project();
    fs.rmSync(fourth.bundle + INPUTS_SUFFIX);
    expect(isStale({ bundle: fourth.bundle, root: work })).toBe(true);
  });

  test("an input saved while the build ran gets no list, so the next run builds again", () => {
    const { bundle } = project();
    const startedMs = Date.now() - 1000;
    fs.utimesSync(path.join(work, "a.ts"), new Date(), new Date());
    expect(writeInputs(bundle, SOURCES, { root: work, startedMs })).toBe(false);
    expect(fs.existsSync(bundle + INPUTS_SUFFIX)).toBe(false);
    expect(isStale({ bundle, root: work })).toBe(true);
  });

  test("the build lists main.js's own sources, its shell scripts, the bindings, the packages and the build script; no package files, no other bundle's sources", async () => {
    await build({ outdir: work });
    const listed = fs
      .readFileSync(path.join(work, "main.js" + INPUTS_SUFFIX), "utf8")
      .trim()
      .split("\n")
      .map((line) => line.split(" ").slice(2).join(" "))
      .filter((file) => file !== path.relative(ROOT, path.join(work, "main.js")));
    for (const file of ["main.ts", "app.ts", "stdio.ts", "config/load.ts", "constructs/sovereign-stack.ts", "userdata/scripts/k3s-install.sh", ".gen/providers/hcloud/server/index.ts", "package-lock.json", "tsconfig.json", "scripts/build.js"]) {
      expect(listed).toContain(file);
    }
    expect(listed.filter((file) => file.includes("node_modules") || file.includes(":") || file.startsWith("scripts/rehearse/"))).toEqual([]);
    for (const file of listed) expect(fs.existsSync(path.join(ROOT, file))).toBe(true);
    expect(isStale({ bundle: path.join(work, "main.js") })).toBe(false);
  });
});
