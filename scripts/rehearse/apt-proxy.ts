/**
 * The apt proxy: an HTTP proxy that forwards plain-HTTP requests to the
 * Debian mirror's host and refuses everything else. Boots reach it on a unix
 * socket (through the fake server's forwarder in their network namespace),
 * image builds on a loopback port; so no container reaches another address.
 */
import * as fs from "fs";
import * as http from "http";
import type { Socket } from "net";

/** A running proxy. */
export interface AptProxy {
  readonly socket: string;
  /** http://127.0.0.1:<port>/, for image builds (host network). */
  readonly url: string;
  /** Requests refused (host not allowed), as "METHOD url". */
  readonly refused: string[];
  /** How many requests went to the mirror. */
  readonly forwarded: () => number;
  readonly close: () => Promise<void>;
}

/** Starts the proxy on `socketPath`, forwarding only to `allowedHosts` on port 80. */
export function startAptProxy(socketPath: string, allowedHosts: readonly string[]): Promise<AptProxy> {
  const refused: string[] = [];
  let forwarded = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const server = http.createServer((req, res) => {
    let target: URL | undefined;
    try {
      target = new URL(req.url ?? "");
    } catch {
      target = undefined;
    }
    if (!target || target.protocol !== "http:" || (target.port !== "" && target.port !== "80") || !allowedHosts.includes(target.hostname)) {
      refused.push(`${req.method} ${req.url}`);
      res.writeHead(403, { "Content-Type": "text/plain" });
      res.end("sovereign-rehearsal apt proxy: only the Debian mirror is reachable\n");
      return;
    }
    forwarded++;
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: target.host };
    delete headers["proxy-connection"];
    const upstream = http.request({ host: target.hostname, port: 80, method: req.method, path: `${target.pathname}${target.search}`, headers, agent }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", (e) => {
      if (!res.headersSent) res.writeHead(502, { "Content-Type": "text/plain" });
      res.end(`sovereign-rehearsal apt proxy: ${e.message}\n`);
    });
    req.pipe(upstream);
  });
  // CONNECT (https tunnels) is refused: apt uses the mirror over http.
  server.on("connect", (req: http.IncomingMessage, socket: Socket) => {
    refused.push(`CONNECT ${req.url}`);
    socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
  });
  fs.rmSync(socketPath, { force: true });
  const loopback = http.createServer();
  loopback.on("request", (req, res) => server.emit("request", req, res));
  loopback.on("connect", (req, socket, head) => server.emit("connect", req, socket, head));
  const listen = (s: http.Server, ...args: unknown[]) =>
    new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      (s.listen as (...a: unknown[]) => void)(...args, () => resolve());
    });
  return Promise.all([listen(server, socketPath), listen(loopback, 0, "127.0.0.1")]).then(() => ({
    socket: socketPath,
    url: `http://127.0.0.1:${(loopback.address() as { port: number }).port}/`,
    refused,
    forwarded: () => forwarded,
    close: () =>
      new Promise<void>((done) => {
        agent.destroy();
        for (const s of [server, loopback]) s.closeAllConnections();
        loopback.close();
        server.close(() => done());
      }),
  }));
}
