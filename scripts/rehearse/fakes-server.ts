/**
 * The fake internet of one boot (`node dist/rehearse-fakes.js <config.json>`),
 * run inside the boot's network namespace, on the host end of its veth pair:
 * - HTTPS on <publicIp>:443 for every faked host (raw.githubusercontent.com,
 *   github.com, get.helm.sh, helm.cilium.io, the provisioning API), files from
 *   the site directory by Host and path;
 * - the provisioning API's PUT /api/v1/deployments/<id>/kubeconfig, with the
 *   answers of its contract (204, 401, 403, 404, 422), bodies recorded;
 * - /cacerts over HTTPS on <loadBalancerIp>:6443;
 * - the apt proxy on <gatewayIp>:3142, a pipe to the rehearsal's proxy
 *   (which forwards to the Debian mirror only).
 * Prints "ready" once every listener is up.
 */
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as path from "path";
import type { IncomingMessage, ServerResponse } from "http";
import { apiAnswer, MAX_KUBECONFIG_BYTES } from "./fake-api";
import { APT_PROXY_PORT, FakesConfig, FakesControl } from "./fakes-control";

const MAX_BODY = MAX_KUBECONFIG_BYTES;

const config: FakesConfig = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
fs.mkdirSync(path.join(config.records, "api"), { recursive: true });
const control = (): FakesControl => JSON.parse(fs.readFileSync(config.control, "utf8"));
const stored = new Set<string>();

function record(entry: Record<string, unknown>): void {
  fs.appendFileSync(path.join(config.records, "requests.jsonl"), `${JSON.stringify({ at: Date.now(), ...entry })}\n`);
}

function answer(res: ServerResponse, status: number, body?: string | Buffer, type = "application/json"): void {
  res.writeHead(status, body === undefined ? {} : { "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

/** The provisioning API (SPEC.md's contract, decided by apiAnswer); records every request, stores what a 204 accepts. */
function api(req: IncomingMessage, res: ServerResponse, body: Buffer, ctl: NonNullable<FakesControl["api"]>, pathname: string): void {
  const a = apiAnswer({ method: req.method ?? "", pathname, authorization: req.headers.authorization, bodyBytes: body.length }, ctl.basePath, ctl.deployments, stored);
  if (a.status === 204 && a.id) {
    stored.add(a.id);
    fs.writeFileSync(path.join(config.records, "api", `${a.id}.kubeconfig`), body, { mode: 0o600 });
    answer(res, 204);
  } else {
    answer(res, a.status, JSON.stringify({ error: a.error }));
  }
  record({ api: true, method: req.method, path: pathname, status: a.status, error: a.error, contentType: req.headers["content-type"], bytes: body.length });
}

function site(req: IncomingMessage, res: ServerResponse, host: string, pathname: string): void {
  const key = `${host}${decodeURIComponent(pathname)}`;
  const file = control().serve[key] ?? path.join(config.site, key);
  const inside = path.resolve(file);
  if (req.method !== "GET" || !fs.existsSync(inside) || !fs.statSync(inside).isFile()) {
    answer(res, 404, "Not Found\n", "text/plain");
    record({ host, method: req.method, path: pathname, status: 404 });
    return;
  }
  answer(res, 200, fs.readFileSync(inside), "application/octet-stream");
  record({ host, method: req.method, path: pathname, status: 200, file: path.relative(config.site, inside) });
}

const tls = { cert: fs.readFileSync(config.cert), key: fs.readFileSync(config.key) };

const publicServer = https.createServer(tls, (req, res) => {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on("data", (c: Buffer) => {
    size += c.length;
    if (size <= MAX_BODY + 1) chunks.push(c);
  });
  req.on("end", () => {
    const host = (req.headers.host ?? "").replace(/:\d+$/, "");
    const { pathname } = new URL(req.url ?? "/", "https://x");
    const ctl = control();
    if (ctl.api && host === ctl.api.host) api(req, res, Buffer.concat(chunks), ctl.api, pathname);
    else site(req, res, host, pathname);
  });
});

const held: net.Socket[] = [];
const loadBalancer = https.createServer(tls, (req, res) => {
  const { pathname } = new URL(req.url ?? "/", "https://x");
  record({ host: `${config.loadBalancerIp}:6443`, method: req.method, path: pathname, status: pathname === "/cacerts" ? 200 : 401 });
  if (pathname === "/cacerts") answer(res, 200, fs.readFileSync(config.caCert), "text/plain");
  else answer(res, 401, JSON.stringify({ kind: "Status", status: "Failure", code: 401 }));
});
const loadBalancerTcp = net.createServer((socket) => {
  if (control().cacerts === "never") {
    // Accept and never answer, like a load balancer with no healthy target.
    record({ host: `${config.loadBalancerIp}:6443`, held: true });
    held.push(socket);
    socket.on("error", () => undefined);
    return;
  }
  loadBalancer.emit("connection", socket);
});

const aptForwarder = net.createServer((client) => {
  const upstream = net.createConnection(config.aptSocket);
  client.pipe(upstream).pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", close);
  upstream.on("error", close);
});

const listening = (server: net.Server, port: number, host: string) =>
  new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });

Promise.all([
  listening(publicServer, 443, config.publicIp),
  listening(loadBalancerTcp, 6443, config.loadBalancerIp),
  listening(aptForwarder, APT_PROXY_PORT, config.gatewayIp),
]).then(
  () => process.stdout.write("ready\n"),
  (err: Error) => {
    process.stderr.write(`rehearse-fakes: ${err.message}\n`);
    process.exit(1);
  },
);
process.on("SIGTERM", () => process.exit(0));
