/**
 * stdio.ts writes the app's lines with plain writes instead of Node's
 * streams. Every line must arrive, in order, also when the reader is slow
 * and the pipe is in non-blocking mode (a plain write then answers EAGAIN).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "./fixtures/sovereigns";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { build } = require("../scripts/build.js");

// A writer on a non-blocking pipe that nobody reads for a while, then read
// slowly: far more than the pipe holds (64 KiB) must wait for the reader,
// and room appears while the writer still has lines queued.
const SLOW_NON_BLOCKING_READER = `
import os, subprocess, sys, time
r, w = os.pipe()
os.set_blocking(w, False)
child = subprocess.Popen(sys.argv[2:], stdout=w if sys.argv[1] == "1" else None, stderr=w if sys.argv[1] == "2" else None)
os.close(w)
time.sleep(0.3)
data = b""
while True:
    chunk = os.read(r, 4096)
    if not chunk:
        break
    data += chunk
    time.sleep(0.0005)
sys.stdout.buffer.write(data)
sys.exit(child.wait())
`;

let work: string;
beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "stdio-"));
  await build({ entryPoints: { probe: path.join(ROOT, "__tests__", "fixtures", "write-line-probe.ts") }, outdir: work, logLevel: "silent" });
  fs.writeFileSync(path.join(work, "reader.py"), SLOW_NON_BLOCKING_READER);
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const expected = (count: number) => Array.from({ length: count }, (_, i) => `line ${i} ${"x".repeat(60)}\n`).join("");

describe("writeLine", () => {
  test.each([1, 2])("to a non-blocking pipe read late, every line of 500 KB arrives once and in order (fd %i)", (fd) => {
    const count = 7000;
    const run = spawnSync("python3", [path.join(work, "reader.py"), String(fd), process.execPath, path.join(work, "probe.js"), String(count), String(fd)], {
      encoding: "utf8",
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(expected(count));
  });

  // A reader that goes away: at once ("now"), or after the writer filled a
  // non-blocking pipe and fell back to Node's stream ("when full").
  const GOING_READER = `
import os, subprocess, sys, time
r, w = os.pipe()
if sys.argv[1] == "now":
    os.close(r)
else:
    os.set_blocking(w, False)
fd = sys.argv[2]
child = subprocess.Popen(sys.argv[3:], stdout=w if fd == "1" else None, stderr=w if fd == "2" else subprocess.PIPE)
os.close(w)
if sys.argv[1] != "now":
    time.sleep(0.5)
    os.close(r)
_, err = child.communicate()
sys.stderr.write((err or b"").decode())
sys.exit(child.returncode)
`;

  test.each([
    ["nobody reads any more", 1, "now", "3"],
    ["nobody reads any more", 2, "now", "3"],
    ["fills up and whose reader then goes", 1, "when full", "7000"],
    ["fills up and whose reader then goes", 2, "when full", "7000"],
  ])("to a pipe that %s (fd %i), the run goes on quietly and exits 0", (_what, fd, when, lines) => {
    const done = path.join(work, `done-${when.replace(" ", "-")}-${fd}`);
    const run = spawnSync("python3", ["-c", GOING_READER, when, String(fd), process.execPath, path.join(work, "probe.js"), lines, String(fd), done], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(fs.readFileSync(done, "utf8")).toBe("done");
  });

  test("to a file, plainly", () => {
    const file = path.join(work, "out.txt");
    const fd = fs.openSync(file, "w");
    const run = spawnSync(process.execPath, [path.join(work, "probe.js"), "3", "1"], { stdio: ["ignore", fd, "inherit"] });
    fs.closeSync(fd);
    expect(run.status).toBe(0);
    expect(fs.readFileSync(file, "utf8")).toBe(expected(3));
  });
});
