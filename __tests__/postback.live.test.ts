/**
 * End-to-end test of userdata/scripts/kubeconfig-postback.sh as a server
 * receives it: taken from the example stack's first control-plane user data
 * as the real Terraform evaluates it (decoded as cloud-init writes it), it
 * runs under bash against a local HTTPS fake of the provisioning API (own CA,
 * certificate for 127.0.0.1), with real curl, jq and sed.
 *
 * Every run also checks that
 *  - no temporary survives (the work-dir parent and the child's TMPDIR are empty),
 *  - the bearer never shows on a command line: /proc/<pid>/cmdline (and environ)
 *    of every process is polled while the script runs, and the tools the script
 *    calls are wrapped by PATH shims that record their argv,
 *  - every stderr line carries the "kubeconfig-postback: " prefix and the token
 *    is in neither stdout nor stderr.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { gunzipSync } from "node:zlib";
import * as yaml from "js-yaml";
import { evaluateUserData } from "../scripts/evaluate-user-data";
import { stripShellComments } from "../userdata/private/shell";
import { TEST_SECRETS, synthesise } from "./fixtures/evaluated";
import { sovereignWith } from "./fixtures/sovereigns";

const SOURCE = path.resolve(__dirname, "../userdata/scripts/kubeconfig-postback.sh");
/** The script as shipped, extracted in beforeAll from Terraform-evaluated user data. */
let SCRIPT = SOURCE;
const PREFIX = "kubeconfig-postback: ";
// Random, so that it cannot occur anywhere by chance (and a match is a leak).
const TOKEN = "5e471e1" + randomBytes(32).toString("hex").slice(7);
const DEPLOYMENT_ID = "5cd1bceaaacb71f6";
const LB_IP = "203.0.113.7";
const API_PREFIX = "/sovereign";
const API_PATH = `${API_PREFIX}/api/v1/deployments/${DEPLOYMENT_ID}/kubeconfig`;
const MAX_BODY = 1024 * 1024;
const SHIMMED_TOOLS = ["curl", "jq", "sed", "grep", "mktemp", "rm", "sleep"];

// A k3s.yaml with content a careless rewrite would damage: regex
// metacharacters, sed specials, look-alike URLs, CRLF, tabs, UTF-8, an
// invalid UTF-8 byte and no newline at the end.
const KUBECONFIG = Buffer.concat([
  Buffer.from(
    [
      "apiVersion: v1",
      "clusters:",
      "- cluster:",
      "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJkekNDQVIyZ0F3SUJBZ0lCQURBS0JnZ3Foa2pPUFFRREFqQWpNU0V3SHdZRFZRUUREQmhyTTNNdGMyVnkK",
      "    server: https://127.0.0.1:6443",
      "  name: default",
      "contexts:",
      "- context:",
      "    cluster: default",
      "    user: default",
      "  name: default",
      "current-context: default",
      "kind: Config",
      "preferences: {}",
      "users:",
      "- name: default",
      "  user:",
      "    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJrVENDQVRlZ0F3SUJBZ0lJYmZ5K3o=",
      "    client-key-data: LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVFSUE9PQo=",
      "# look-alikes, unchanged: https://127x0x0x1:6443 http://127.0.0.1:6443 HTTPS://127.0.0.1:6443 https://127.0.0.10:6443",
      "# twice on a line: https://127.0.0.1:6443/a,https://127.0.0.1:6443/b",
      "# sed and shell specials: & \\1 \\n | # / $(id) `id` ${HOME} %s %% ' \" ;",
      "# unicode: Grüße ✓ 🚀",
    ].join("\n") + "\r\n# crlf: https://127.0.0.1:6443\r\n\t# tab, trailing spaces   \n",
    "utf8",
  ),
  Buffer.from([0x23, 0x20, 0xff, 0xfe, 0x0a]),
  Buffer.from("# no newline at the end: https://127.0.0.1:6443", "utf8"),
]);

function rewritten(input: Buffer): Buffer {
  return Buffer.from(input.toString("latin1").split("https://127.0.0.1:6443").join(`https://${LB_IP}:6443`), "latin1");
}

// ----------------------------------------------------------------- fake API --

interface Reply {
  status: number;
  /** JSON-encoded as the body. */
  json?: unknown;
  /** Sent as is (text/html). */
  raw?: string;
  /** Never answer (the client times out). */
  hang?: boolean;
}

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  at: number;
}

/**
 * The provisioning API's kubeconfig endpoint. Without scripted replies it
 * follows the contract (bearer check, single use, size cap); `scripted` replies
 * are used first, in order, then `always` if set.
 */
class FakeApi {
  readonly requests: Seen[] = [];
  readonly scripted: Reply[] = [];
  always: Reply | undefined;
  stored: Buffer | undefined;
  connections = 0;
  onRequest: (() => void) | undefined;
  port = 0;
  private readonly server: https.Server;
  private readonly hanging: ServerResponse[] = [];

  constructor(tls: { key: Buffer; cert: Buffer }) {
    this.server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      const at = performance.now();
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const seen: Seen = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks), at };
        this.requests.push(seen);
        this.onRequest?.();
        const reply = this.scripted.shift() ?? this.always ?? this.contract(seen);
        if (reply.hang) {
          this.hanging.push(res);
          return;
        }
        if (reply.json !== undefined) {
          res.writeHead(reply.status, { "content-type": "application/json" });
          res.end(JSON.stringify(reply.json));
        } else if (reply.raw !== undefined) {
          res.writeHead(reply.status, { "content-type": "text/html" });
          res.end(reply.raw);
        } else {
          res.writeHead(reply.status);
          res.end();
        }
      });
    });
    this.server.on("connection", () => {
      this.connections += 1;
    });
    // A client that gives up mid-handshake is not the server's problem.
    this.server.on("tlsClientError", () => undefined);
  }

  private contract(seen: Seen): Reply {
    if (seen.url !== API_PATH && !seen.url.startsWith(`${API_PREFIX}/api/v1/deployments/`)) return { status: 404, json: { error: "not-found" } };
    if (seen.url !== API_PATH) return { status: 404, json: { error: "unknown-deployment" } };
    if (seen.method !== "PUT") return { status: 405, json: { error: "method-not-allowed" } };
    const auth = seen.headers.authorization;
    if (auth === undefined || !auth.startsWith("Bearer ")) return { status: 401, json: { error: "missing-bearer" } };
    if (auth !== `Bearer ${TOKEN}`) return { status: 403, json: { error: "invalid-bearer" } };
    if (this.stored !== undefined) return { status: 403, json: { error: "already-set" } };
    if (seen.headers["content-type"] !== "application/x-yaml") return { status: 415, json: { error: "unsupported-media-type" } };
    if (seen.body.length === 0) return { status: 422, json: { error: "empty-body" } };
    if (seen.body.length > MAX_BODY) return { status: 422, json: { error: "body-too-large" } };
    this.stored = seen.body;
    return { status: 204 };
  }

  listen(port = 0): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => {
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve(this.port);
      });
    });
  }

  close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------------ fixture --

let root = "";
let caCert = "";
let tls: { key: Buffer; cert: Buffer };
let shimDir = "";
let fixtureCount = 0;

interface Fixture {
  dir: string;
  settings: string;
  bearerFile: string;
  kubeconfig: string;
  workParent: string;
  childTmp: string;
  shimLog: string;
}

interface FixtureOptions {
  apiUrl?: string;
  deploymentId?: unknown;
  lbIp?: unknown;
  /** Raw settings file content (wins over the fields above). */
  settingsRaw?: string;
  bearer?: string | Buffer | null;
  kubeconfig?: Buffer | null;
}

function makeFixture(port: number, opts: FixtureOptions = {}): Fixture {
  fixtureCount += 1;
  const dir = path.join(root, `run-${fixtureCount}`);
  const f: Fixture = {
    dir,
    settings: path.join(dir, "postback.json"),
    bearerFile: path.join(dir, "postback-bearer"),
    kubeconfig: path.join(dir, "k3s.yaml"),
    workParent: path.join(dir, "work"),
    childTmp: path.join(dir, "tmp"),
    shimLog: path.join(dir, "argv.log"),
  };
  fs.mkdirSync(f.workParent, { recursive: true });
  fs.mkdirSync(f.childTmp);
  const settings = {
    apiUrl: opts.apiUrl ?? `https://127.0.0.1:${port}${API_PREFIX}`,
    deploymentId: "deploymentId" in opts ? opts.deploymentId : DEPLOYMENT_ID,
    loadBalancerIpv4: "lbIp" in opts ? opts.lbIp : LB_IP,
  };
  fs.writeFileSync(f.settings, opts.settingsRaw ?? JSON.stringify(settings, null, 2) + "\n");
  const bearer = opts.bearer === undefined ? `${TOKEN}\n` : opts.bearer;
  if (bearer !== null) fs.writeFileSync(f.bearerFile, bearer, { mode: 0o600 });
  const kubeconfig = opts.kubeconfig === undefined ? KUBECONFIG : opts.kubeconfig;
  if (kubeconfig !== null) fs.writeFileSync(f.kubeconfig, kubeconfig, { mode: 0o600 });
  return f;
}

// ---------------------------------------------------------------- the runner --

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
  /** "pid <n> cmdline: ..." for each process seen with a watched secret. */
  leaks: string[];
  /** argv of each shimmed tool the script ran. */
  argvs: string[][];
}

interface RunOptions {
  env?: Record<string, string>;
  /** Strings that must never show on a command line (TOKEN is always watched). */
  secrets?: string[];
  onSpawn?: (child: ChildProcess) => void;
}

const FAST_ENV = {
  POSTBACK_DEADLINE_SEC: "10",
  POSTBACK_RETRY_INITIAL_SEC: "0.2",
  POSTBACK_RETRY_MAX_SEC: "1",
  POSTBACK_CONNECT_TIMEOUT_SEC: "2",
  POSTBACK_MAX_TIME_SEC: "5",
};

function scanProc(secrets: Buffer[], leaks: string[]): void {
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!/^[0-9]+$/.test(entry) || Number(entry) === process.pid) continue;
    for (const file of ["cmdline", "environ"]) {
      let content: Buffer;
      try {
        content = fs.readFileSync(`/proc/${entry}/${file}`);
      } catch {
        continue; // gone, or not ours to read
      }
      for (const secret of secrets) {
        if (content.includes(secret)) leaks.push(`pid ${entry} ${file}: ${content.toString("latin1").replace(/\0/g, " ").slice(0, 300)}`);
      }
    }
  }
}

function readShimLog(file: string): string[][] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "latin1")
    .split("\x1e")
    .filter((record) => record.length > 0)
    .map((record) => record.split("\0").slice(0, -1));
}

function runScript(f: Fixture, opts: RunOptions = {}): Promise<Run> {
  const secrets = [TOKEN, ...(opts.secrets ?? [])].filter((s) => s.length >= 16).map((s) => Buffer.from(s, "latin1"));
  const env: Record<string, string> = {
    PATH: `${shimDir}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    HOME: f.dir,
    TMPDIR: f.childTmp,
    LANG: "C.UTF-8",
    SHIM_LOG: f.shimLog,
    POSTBACK_SETTINGS: f.settings,
    POSTBACK_BEARER_FILE: f.bearerFile,
    POSTBACK_KUBECONFIG: f.kubeconfig,
    POSTBACK_WORKDIR: f.workParent,
    POSTBACK_CA_BUNDLE: caCert,
    ...FAST_ENV,
    ...opts.env,
  };
  const leaks: string[] = [];
  const started = performance.now();
  const child = spawn("bash", [SCRIPT], { env, cwd: f.dir, stdio: ["ignore", "pipe", "pipe"] });
  scanProc(secrets, leaks);
  const poller = setInterval(() => scanProc(secrets, leaks), 20);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  opts.onSpawn?.(child);
  return new Promise((resolve, reject) => {
    child.on("error", (err) => {
      clearInterval(poller);
      reject(err);
    });
    // "close": the script and everything holding its stdout/stderr are gone.
    child.on("close", (code, signal) => {
      clearInterval(poller);
      resolve({ code, signal, stdout, stderr, elapsedMs: performance.now() - started, leaks, argvs: readShimLog(f.shimLog) });
    });
  });
}

/** Checks that hold for every run, whatever the outcome. */
function expectHygiene(run: Run, f: Fixture, secrets: string[] = []): void {
  expect(run.leaks).toEqual([]);
  for (const argv of run.argvs) {
    for (const secret of [TOKEN, ...secrets]) expect(argv.join(" ")).not.toContain(secret);
  }
  expect(fs.readdirSync(f.workParent)).toEqual([]);
  expect(fs.readdirSync(f.childTmp)).toEqual([]);
  expect(run.stdout).toBe("");
  expect(run.stderr).not.toContain(TOKEN);
  const lines = run.stderr.split("\n").filter((line) => line.length > 0);
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) expect(line.startsWith(PREFIX)).toBe(true);
}

// -------------------------------------------------------------------- setup --

/** The postback script in the example's first-server user data, as Terraform evaluates it and cloud-init writes it. */
function shippedPostbackScript(): string {
  const [stack] = synthesise([sovereignWith()]);
  const [first] = evaluateUserData([stack], TEST_SECRETS).filter((e) => /-cp-1$/.test(e.server));
  const doc = yaml.load(first.userData) as { write_files: { path: string; encoding?: string; content: string }[] };
  const file = doc.write_files.find((f) => f.path === "/usr/local/lib/catalyst/kubeconfig-postback.sh")!;
  expect(file.encoding).toBe("gz+b64");
  const script = gunzipSync(Buffer.from(file.content, "base64")).toString("utf8");
  // What ships is the source without its comment lines, nothing else.
  expect(script).toBe(stripShellComments(fs.readFileSync(SOURCE, "utf8"), "kubeconfig-postback.sh"));
  return script;
}

let api: FakeApi;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "postback-live-"));
  SCRIPT = path.join(root, "kubeconfig-postback.sh");
  fs.writeFileSync(SCRIPT, shippedPostbackScript(), { mode: 0o755 });
  const pki = path.join(root, "pki");
  fs.mkdirSync(pki);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: pki, stdio: ["ignore", "ignore", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=postback test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  openssl("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  fs.writeFileSync(
    path.join(pki, "server.ext"),
    "subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
  );
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
    "-extfile", "server.ext", "-out", "server.crt");
  caCert = path.join(pki, "ca.crt");
  tls = { key: fs.readFileSync(path.join(pki, "server.key")), cert: fs.readFileSync(path.join(pki, "server.crt")) };

  // PATH shims that record the argv of each tool the script runs, then exec it.
  shimDir = path.join(root, "shims");
  fs.mkdirSync(shimDir);
  for (const tool of SHIMMED_TOOLS) {
    const real = execFileSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
    fs.writeFileSync(
      path.join(shimDir, tool),
      `#!/bin/bash\nprintf '%s\\0' "${tool}" "$@" >>"$SHIM_LOG"\nprintf '\\036' >>"$SHIM_LOG"\nexec ${real} "$@"\n`,
      { mode: 0o755 },
    );
  }
});

afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

beforeEach(async () => {
  api = new FakeApi(tls);
  await api.listen();
});

afterEach(async () => {
  await api.close();
});

// -------------------------------------------------------------------- tests --

describe("kubeconfig-postback.sh against a live HTTPS API", () => {
  test("204 on the first PUT: stores the rewritten kubeconfig, exit 0", async () => {
    const f = makeFixture(api.port);
    const modes: string[] = [];
    api.onRequest = () => {
      // The script is blocked in curl now: look at its private work dir.
      const entries = fs.readdirSync(f.workParent);
      modes.push(`entries=${entries.length}`);
      for (const entry of entries) {
        const dir = path.join(f.workParent, entry);
        modes.push(`dir ${(fs.statSync(dir).mode & 0o777).toString(8)}`);
        for (const file of fs.readdirSync(dir)) modes.push(`file ${(fs.statSync(path.join(dir, file)).mode & 0o777).toString(8)}`);
      }
    };
    const run = await runScript(f);
    expect(run.code).toBe(0);
    expectHygiene(run, f);
    expect(api.requests).toHaveLength(1);
    const [req] = api.requests;
    expect(req.method).toBe("PUT");
    expect(req.url).toBe(`/sovereign/api/v1/deployments/${DEPLOYMENT_ID}/kubeconfig`);
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.headers["content-type"]).toBe("application/x-yaml");
    const expected = rewritten(KUBECONFIG);
    expect(req.body.equals(expected)).toBe(true);
    expect(api.stored?.equals(expected)).toBe(true);
    // Sanity of the fixture itself: the rewrite changed exactly the four occurrences.
    expect(expected.toString("latin1").split(`https://${LB_IP}:6443`)).toHaveLength(6);
    expect(expected.toString("latin1")).toContain("https://127x0x0x1:6443 http://127.0.0.1:6443 HTTPS://127.0.0.1:6443 https://127.0.0.10:6443");
    // Private work dir, private files.
    expect(modes[0]).toBe("entries=1");
    expect(modes.slice(1).filter((m) => m !== "dir 700" && m !== "file 600")).toEqual([]);
    // https only, even on redirects.
    const curl = run.argvs.filter((argv) => argv[0] === "curl");
    expect(curl).toHaveLength(1);
    expect(curl[0].join(" ")).toContain("--proto =https");
    expect(curl[0].join(" ")).toContain("--proto-redir =https");
    expect(run.stderr).toMatch(/attempt 1: HTTP 204/);
  });

  test("401 missing-bearer: stops at once, exit 1", async () => {
    api.scripted.push({ status: 401, json: { error: "missing-bearer" } });
    const f = makeFixture(api.port);
    const run = await runScript(f);
    expect(run.code).toBe(1);
    expectHygiene(run, f);
    expect(api.requests).toHaveLength(1);
    expect(run.stderr).toMatch(/HTTP 401.*missing-bearer/);
  });

  test("403 invalid-bearer (the contract's own check): stops at once, exit 1", async () => {
    const wrong = "0123456789abcdef".repeat(4);
    const f = makeFixture(api.port, { bearer: wrong });
    const run = await runScript(f, { secrets: [wrong] });
    expect(run.code).toBe(1);
    expectHygiene(run, f, [wrong]);
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0].headers.authorization).toBe(`Bearer ${wrong}`);
    expect(run.stderr).toMatch(/HTTP 403.*invalid-bearer/);
    expect(api.stored).toBeUndefined();
  });

  test("403 already-set (token already used): warns, exit 0, no retry", async () => {
    api.stored = Buffer.from("stored by an earlier attempt whose 204 was lost");
    const f = makeFixture(api.port);
    const run = await runScript(f);
    expect(run.code).toBe(0);
    expectHygiene(run, f);
    expect(api.requests).toHaveLength(1);
    expect(run.stderr).toMatch(/warning/i);
    expect(run.stderr).toContain("already-set");
  });

  test("404 unknown deployment: stops at once, exit 1", async () => {
    const f = makeFixture(api.port, { deploymentId: "ffffffffffffffff" });
    const run = await runScript(f);
    expect(run.code).toBe(1);
    expectHygiene(run, f);
    expect(api.requests).toHaveLength(1);
    expect(run.stderr).toMatch(/HTTP 404.*unknown-deployment/);
  });

  test("422 body-too-large: stops at once, exit 1", async () => {
    api.scripted.push({ status: 422, json: { error: "body-too-large" } });
    const f = makeFixture(api.port);
    const run = await runScript(f);
    expect(run.code).toBe(1);
    expectHygiene(run, f);
    expect(api.requests).toHaveLength(1);
    expect(run.stderr).toMatch(/HTTP 422.*body-too-large/);
  });

  test("other 4xx with a body that is not JSON: stops at once, exit 1, says so", async () => {
    api.scripted.push({ status: 400, raw: "<html><body>Bad Request</body></html>" });
    const f = makeFixture(api.port);
    const run = await runScript(f);
    expect(run.code).toBe(1);
    expectHygiene(run, f);
    expect(api.requests).toHaveLength(1);
    expect(run.stderr).toMatch(/HTTP 400.*not JSON/);
  });

  test("403 without an error code: stops at once, exit 1", async () => {
    api.scripted.push({ status: 403, json: { message: "no code here" } });
    const f = makeFixture(api.port);
    const run = await runScript(f);
    expect(run.code).toBe(1);
    expectHygiene(run, f);
    expect(api.requests).toHaveLength(1);
    expect(run.stderr).toMatch(/HTTP 403.*no error code/);
  });

  test("503, 503, then 204: retries with growing backoff, exit 0", async () => {
    api.scripted.push({ status: 503, json: { error: "storage-unavailable" } }, { status: 503 });
    const f = makeFixture(api.port, { bearer: TOKEN }); // no trailing newline this time
    const run = await runScript(f);
    expect(run.code).toBe(0);
    expectHygiene(run, f);
    expect(api.requests).toHaveLength(3);
    const [a, b, c] = api.requests.map((r) => r.at);
    const gap1 = b - a;
    const gap2 = c - b;
    expect(gap1).toBeGreaterThanOrEqual(200);
    expect(gap2).toBeGreaterThanOrEqual(200);
    expect(gap2).toBeGreaterThanOrEqual(gap1);
    for (const req of api.requests) expect(req.body.equals(rewritten(KUBECONFIG))).toBe(true);
    expect(run.stderr).toMatch(/attempt 1: HTTP 503 \(error: storage-unavailable\); retrying in 0\.200 s/);
    expect(run.stderr).toMatch(/attempt 2: HTTP 503 \(empty response body\); retrying in 0\.400 s/);
    expect(run.stderr).toMatch(/attempt 3: HTTP 204/);
  });

  test("408, 429 and 500 are retried too; the backoff is capped", async () => {
    api.scripted.push({ status: 408 }, { status: 429, json: { error: "slow-down" } }, { status: 500, raw: "oops" });
    const f = makeFixture(api.port);
    const run = await runScript(f, { env: { POSTBACK_RETRY_MAX_SEC: "0.3" } });
    expect(run.code).toBe(0);
    expectHygiene(run, f);
    expect(api.requests).toHaveLength(4);
    expect(run.stderr).toMatch(/retrying in 0\.200 s[^]*retrying in 0\.300 s[^]*retrying in 0\.300 s/);
  });

  test("connection refused for ~3 s, then 204: exit 0", async () => {
    await api.close();
    const port = await freePort();
    const f = makeFixture(port);
    const late = sleep(3000).then(() => api.listen(port));
    const run = await runScript(f, { env: { POSTBACK_DEADLINE_SEC: "15" } });
    await late;
    expect(run.code).toBe(0);
    expectHygiene(run, f);
    expect(api.requests.length).toBeGreaterThanOrEqual(1);
    expect(api.stored?.equals(rewritten(KUBECONFIG))).toBe(true);
    expect(run.stderr.match(/no HTTP response \(curl exit 7/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    expect(run.elapsedMs).toBeGreaterThanOrEqual(3000);
  });

  test("an attempt that times out is retried", async () => {
    api.scripted.push({ status: 0, hang: true });
    const f = makeFixture(api.port);
    const run = await runScript(f, { env: { POSTBACK_MAX_TIME_SEC: "1" } });
    expect(run.code).toBe(0);
    expectHygiene(run, f);
    expect(api.requests).toHaveLength(2);
    expect(run.stderr).toMatch(/attempt 1: no HTTP response \(curl exit 28/);
  });

  test("deadline: always 503, deadline 3 s: gives up, exit 1", async () => {
    api.always = { status: 503, json: { error: "storage-unavailable" } };
    const f = makeFixture(api.port);
    const maxTimeSec = 2;
    const run = await runScript(f, { env: { POSTBACK_DEADLINE_SEC: "3", POSTBACK_MAX_TIME_SEC: String(maxTimeSec) } });
    expect(run.code).toBe(1);
    expectHygiene(run, f);
    // Deadline plus at most one attempt, plus bash/curl start-up slack.
    expect(run.elapsedMs).toBeLessThan((3 + maxTimeSec) * 1000 + 500);
    const m = /deadline of 3 s passed after ([0-9]+) attempts \(last: HTTP 503 \(error: storage-unavailable\)\)/.exec(run.stderr);
    expect(m).not.toBeNull();
    expect(Number(m?.[1])).toBe(api.requests.length);
    expect(api.requests.length).toBeGreaterThanOrEqual(3);
    // The last request started before the deadline.
    expect(api.requests[api.requests.length - 1].at - api.requests[0].at).toBeLessThan(3000);
  });

  test("SIGTERM while waiting to retry: exits 143 at once, cleans up, leaves no child behind", async () => {
    api.always = { status: 503 };
    const f = makeFixture(api.port);
    let killedAt = 0;
    const run = await runScript(f, {
      env: { POSTBACK_RETRY_INITIAL_SEC: "7.25", POSTBACK_RETRY_MAX_SEC: "30", POSTBACK_DEADLINE_SEC: "60" },
      onSpawn: (child) => {
        api.onRequest = () => {
          setTimeout(() => {
            killedAt = performance.now();
            child.kill("SIGTERM");
          }, 300);
        };
      },
    });
    expect(run.code).toBe(143);
    expectHygiene(run, f);
    expect(api.requests).toHaveLength(1);
    expect(killedAt).toBeGreaterThan(0);
    expect(run.elapsedMs).toBeLessThan(3000);
    expect(run.stderr).toMatch(/signal 15/);
    // The backoff sleep was killed too ("close" would otherwise wait for it, and /proc would show it).
    const sleepers = fs
      .readdirSync("/proc")
      .filter((e) => /^[0-9]+$/.test(e))
      .filter((e) => {
        try {
          return fs.readFileSync(`/proc/${e}/cmdline`, "latin1").includes("7.250");
        } catch {
          return false;
        }
      });
    expect(sleepers).toEqual([]);
  });

  describe("bad input: exit 2 before any request", () => {
    const hex64 = "0123456789abcdef".repeat(4);
    // Name, fixture, extra env, expected message. Every row has all four
    // columns: jest would take a fifth test-function parameter for `done`.
    const cases: Array<[string, (port: number) => FixtureOptions, Record<string, string>, RegExp]> = [
      ["http:// apiUrl", (port) => ({ apiUrl: `http://127.0.0.1:${port}/sovereign` }), {}, /must start with https:\/\//],
      ["apiUrl with credentials", (port) => ({ apiUrl: `https://user:pw@127.0.0.1:${port}/sovereign` }), {}, /not a plain https URL/],
      ["bearer of 63 hex characters", () => ({ bearer: hex64.slice(1) + "\n" }), {}, /exactly 64 lowercase hex/],
      ["bearer of 65 hex characters", () => ({ bearer: hex64 + "a" }), {}, /exactly 64 lowercase hex/],
      ["bearer in upper case", () => ({ bearer: hex64.toUpperCase() }), {}, /exactly 64 lowercase hex/],
      ["bearer that is not hex", () => ({ bearer: "z".repeat(64) }), {}, /exactly 64 lowercase hex/],
      ["bearer followed by two newlines", () => ({ bearer: hex64 + "\n\n" }), {}, /exactly 64 lowercase hex/],
      ["bearer with a leading space", () => ({ bearer: " " + hex64 }), {}, /exactly 64 lowercase hex/],
      ["bearer with a NUL byte", () => ({ bearer: Buffer.concat([Buffer.from(hex64), Buffer.from([0]), Buffer.from("x")]) }), {}, /NUL/],
      ["empty bearer file", () => ({ bearer: "" }), {}, /bearer file .* is empty/],
      ["missing bearer file", () => ({ bearer: null }), {}, /bearer file .* is missing/],
      ["empty deploymentId", () => ({ deploymentId: "" }), {}, /deploymentId .* is missing or empty/],
      ["deploymentId with a path", () => ({ deploymentId: "../../admin" }), {}, /deploymentId .* must be letters/],
      ["missing loadBalancerIpv4", () => ({ lbIp: undefined }), {}, /loadBalancerIpv4 .* dotted-quad/],
      ["loadBalancerIpv4 with an octet over 255", () => ({ lbIp: "256.1.2.3" }), {}, /loadBalancerIpv4 .* dotted-quad/],
      ["loadBalancerIpv4 with three octets", () => ({ lbIp: "10.0.0" }), {}, /loadBalancerIpv4 .* dotted-quad/],
      ["loadBalancerIpv4 with shell/sed specials", () => ({ lbIp: "10.0.0.1|e id" }), {}, /loadBalancerIpv4 .* dotted-quad/],
      ["loadBalancerIpv4 with a newline", () => ({ lbIp: "10.0.0.1\n10.0.0.2" }), {}, /loadBalancerIpv4 .* dotted-quad/],
      ["settings that are not JSON", () => ({ settingsRaw: "apiUrl: https://x\n" }), {}, /not a JSON object/],
      ["kubeconfig without https://127.0.0.1:6443", () => ({ kubeconfig: rewritten(KUBECONFIG) }), {}, /does not contain https:\/\/127\.0\.0\.1:6443/],
      ["missing kubeconfig", () => ({ kubeconfig: null }), {}, /kubeconfig .* is missing/],
      ["non-numeric POSTBACK_DEADLINE_SEC", () => ({}), { POSTBACK_DEADLINE_SEC: "soon" }, /POSTBACK_DEADLINE_SEC must be a number/],
      ["missing POSTBACK_CA_BUNDLE file", () => ({}), { POSTBACK_CA_BUNDLE: "/nonexistent/ca.pem" }, /POSTBACK_CA_BUNDLE .* is missing/],
    ];
    test.each(cases)("%s", async (_name, options, env, message) => {
      const f = makeFixture(api.port, options(api.port));
      const run = await runScript(f, { env, secrets: [hex64, hex64.toUpperCase()] });
      expect(run.code).toBe(2);
      expectHygiene(run, f, [hex64]);
      expect(api.connections).toBe(0);
      expect(api.requests).toHaveLength(0);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(run.stderr).toMatch(message);
    });
  });
});

// ---------------------------------------------------------------- shellcheck --

const shellcheckFound = spawnSync("shellcheck", ["--version"]).status === 0;
if (!shellcheckFound && process.env.CI !== "true") {
  console.warn("postback.live.test.ts: shellcheck is not installed; skipping the shellcheck test (it fails in CI).");
}

(shellcheckFound || process.env.CI === "true" ? test : test.skip)("shellcheck has no findings", () => {
  const result = spawnSync("shellcheck", [SOURCE], { encoding: "utf8" });
  expect(result.error).toBeUndefined();
  expect(result.stdout + result.stderr).toBe("");
  expect(result.status).toBe(0);
});
