/** The rehearsal's own certificate authority and the fakes' certificate (openssl, per run). */
import * as fs from "fs";
import * as path from "path";
import { must } from "./exec";

/** Paths of the CA certificate and the fakes' key and certificate. */
export interface Certificates {
  readonly caCert: string;
  readonly cert: string;
  readonly key: string;
}

/**
 * Makes a CA and one server certificate for every faked host name and
 * address; the container trusts the CA, so real curl with real TLS
 * verification reaches the fakes.
 */
export async function makeCertificates(dir: string, hosts: readonly string[], ips: readonly string[]): Promise<Certificates> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (name: string) => path.join(dir, name);
  const ossl = (...args: string[]) => must(["openssl", ...args]);
  await ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=sovereign-rehearsal CA", "-keyout", f("ca.key"), "-out", f("ca.crt"), "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  await ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=sovereign-rehearsal fakes", "-keyout", f("fakes.key"), "-out", f("fakes.csr"));
  const san = [...hosts.map((h) => `DNS:${h}`), ...ips.map((ip) => `IP:${ip}`)].join(",");
  fs.writeFileSync(f("ext.cnf"), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  await ossl("x509", "-req", "-in", f("fakes.csr"), "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", f("ext.cnf"), "-out", f("fakes.crt"));
  return { caCert: f("ca.crt"), cert: f("fakes.crt"), key: f("fakes.key") };
}
