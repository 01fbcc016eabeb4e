/**
 * The apt proxy: an HTTP proxy on a unix socket (reached from each boot's
 * network namespace through the fake server's forwarder) that forwards
 * plain-HTTP requests to the Debian mirror's host and refuses everything
 * else, so the container reaches no other address.
 */
import * as fs from "fs";
import * as http from "http";
import type { Socket } from "net";

/** A running proxy. */
export interface AptProxy {
  readonly socket: string;
  /** Requests refused (host not allowed), as "METHOD url". */
  readonly refused: string[];
  readonly close: () => Promise<void>;
}

/** Starts the proxy on `socketPath`, forwarding only to `allowedHosts` on port 80. */
export function startAptProxy(socketPath: string, allowedHosts: readonly string[]): Promise<AptProxy> {
  const refused: string[] = [];
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
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () =>
      resolve({
        socket: socketPath,
        refused,
        close: () =>
          new Promise<void>((done) => {
            agent.destroy();
            server.closeAllConnections();
            server.close(() => done());
          }),
      }),
    );
  });
}
