/** Reading what the fakes recorded during one boot, and the user data it booted. */
import * as fs from "fs";
import * as path from "path";
import { gunzipSync } from "zlib";
import * as yaml from "js-yaml";
import type { Boot } from "./boot";

/** One request the fake internet answered. */
export interface RecordedRequest {
  readonly at: number;
  readonly host?: string;
  readonly method?: string;
  readonly path?: string;
  readonly status?: number;
  readonly api?: boolean;
  readonly error?: string;
  readonly held?: boolean;
  readonly contentType?: string;
}

/** One call of the fake k3s/kubectl or helm. */
export interface RecordedCall {
  /** Nanoseconds since the epoch when it started (orders calls of both tools). */
  readonly at: bigint;
  readonly tool: "k3s" | "helm";
  readonly argv: string[];
  /** Contents of the manifests (-f) or values files (--values) it was given. */
  readonly files: string[];
  readonly chartSha256?: string;
}

/** The fake server's request log of a boot. */
export function requests(boot: Boot): RecordedRequest[] {
  const file = path.join(boot.records, "requests.jsonl");
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

/** Kubeconfigs the fake provisioning API stored. */
export function storedKubeconfigs(boot: Boot): string[] {
  const dir = path.join(boot.records, "api");
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), "utf8"));
}

/** One tool's calls, in directory order (calls() sorts them). */
function readCalls(dir: string, tool: RecordedCall["tool"], filesDir: string): RecordedCall[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).map((name) => {
    const call = path.join(dir, name);
    const argv = fs.readFileSync(path.join(call, "argv"), "utf8").split("\0");
    argv.pop();
    const fd = path.join(call, filesDir);
    const files = fs.existsSync(fd)
      ? fs.readdirSync(fd).sort((a, b) => Number(a) - Number(b)).map((f) => fs.readFileSync(path.join(fd, f), "utf8"))
      : [];
    const sha = path.join(call, "chart-sha256");
    return { at: BigInt(name.split("-")[0]), tool, argv, files, chartSha256: fs.existsSync(sha) ? fs.readFileSync(sha, "utf8").trim() : undefined };
  });
}

/** Every call of the fake k3s/kubectl and helm, in the order they started (a stable sort: ties keep k3s before helm, each in directory order). */
export function calls(boot: Boot): RecordedCall[] {
  const rec = boot.hostPath("/var/lib/sovereign-rehearsal");
  return [...readCalls(path.join(rec, "calls"), "k3s", "files"), ...readCalls(path.join(rec, "helm"), "helm", "values")].sort((a, b) =>
    a.at < b.at ? -1 : a.at > b.at ? 1 : 0,
  );
}

/** The /etc/rancher/k3s/config.yaml the fake installer found, parsed; undefined when it never ran. */
export function k3sConfigSeen(boot: Boot): Record<string, unknown> | undefined {
  const file = boot.hostPath("/var/lib/sovereign-rehearsal/k3s-config.yaml");
  return fs.existsSync(file) ? (yaml.load(fs.readFileSync(file, "utf8")) as Record<string, unknown>) : undefined;
}

/** What the fake installer was run with (INSTALL_K3S_EXEC, version). */
export function installerEnv(boot: Boot): Record<string, string> | undefined {
  const file = boot.hostPath("/var/lib/sovereign-rehearsal/installer.env");
  if (!fs.existsSync(file)) return undefined;
  return Object.fromEntries(fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

/** The booted user data, parsed. */
export interface BootedCloudConfig {
  readonly packages: string[];
  readonly runcmd: string[][];
  /** write_files contents, decoded, by path. */
  readonly files: Map<string, { content: string; permissions?: string }>;
}

/** Parses cloud-config text and decodes its write_files. */
export function parseCloudConfig(text: string): BootedCloudConfig {
  const doc = yaml.load(text) as { packages?: string[]; runcmd?: string[][]; write_files?: { path: string; content: string; encoding?: string; permissions?: string }[] };
  const files = new Map<string, { content: string; permissions?: string }>();
  for (const f of doc.write_files ?? []) {
    const raw = f.encoding === "gz+b64" ? gunzipSync(Buffer.from(f.content, "base64")).toString("utf8") : f.encoding === "b64" ? Buffer.from(f.content, "base64").toString("utf8") : f.content;
    files.set(f.path, { content: raw, permissions: f.permissions });
  }
  return { packages: doc.packages ?? [], runcmd: doc.runcmd ?? [], files };
}

/** Step names of the runcmd, in order (each entry is `catalyst-step NAME ...`). */
export function stepNames(cc: BootedCloudConfig): string[] {
  return cc.runcmd.filter((c) => Array.isArray(c) && /catalyst-step$/.test(c[0])).map((c) => c[1]);
}
