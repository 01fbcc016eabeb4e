/**
 * What the fake internet serves, as files under <site>/<host>/<path>: the
 * fake k3s installer and binary with the release's checksum file, the Helm
 * archives with the fake helm inside, the Cilium chart, Flux's
 * install.yaml. Built per run; the checksums of the archives go into the
 * rehearsal Sovereign files' `versions` overrides, so the product's real
 * verification runs against them.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { DEFAULT_FLUX_VERSION } from "../../config/defaults";
import { DEFAULT_CILIUM, DEFAULT_HCLOUD_CCM, DEFAULT_HELM, DOWNLOADS } from "../../userdata/versions";
import { must } from "./exec";
import { ROOT } from "./root";

/** The fake scripts, in the repository. */
export const FAKES_DIR = path.join(ROOT, "rehearsal", "fakes");

/** The `versions` block of a Sovereign file that pins the fakes. */
export interface PinnedVersions {
  readonly helm: { readonly version: string; readonly sha256Amd64: string; readonly sha256Arm64: string };
  readonly cilium: { readonly version: string; readonly chartSha256: string };
  readonly hcloudCcm: { readonly version: string; readonly chartSha256: string };
  readonly flux: string;
}

/**
 * Host names the product downloads from (every URL of userdata/versions.ts's
 * DOWNLOADS), plus github.com where the k3s installer gets its binary.
 */
export function downloadHosts(): string[] {
  const hosts = Object.values(DOWNLOADS).map((url) => new URL((url as (...a: string[]) => string)("v0.0.0", "amd64")).hostname);
  return [...new Set([...hosts, "github.com"])].sort();
}

/** The built site. */
export interface Site {
  readonly dir: string;
  readonly k3sVersion: string;
  readonly versions: PinnedVersions;
  /** Site-relative file of a URL (host + decoded path). */
  readonly fileOf: (url: string) => string;
}

const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

/** Host and decoded path of a URL: the key the fake server looks files up by. */
export function siteKey(url: string): string {
  const u = new URL(url);
  return `${u.hostname}${decodeURIComponent(u.pathname)}`;
}

function put(dir: string, url: string, content: string | Buffer, mode = 0o644): string {
  const file = path.join(dir, siteKey(url));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode });
  return file;
}

/** A .tar.gz served at `url` holding one directory, `top`, with the files `fill` writes into it. */
async function tarball(dir: string, url: string, top: string, fill: (topDir: string) => void): Promise<string> {
  const staging = fs.mkdtempSync(path.join(dir, ".tar-"));
  fs.mkdirSync(path.join(staging, top));
  fill(path.join(staging, top));
  const file = put(dir, url, "");
  await must(["tar", "-C", staging, "-czf", file, top]);
  fs.rmSync(staging, { recursive: true, force: true });
  return file;
}

/** A Helm chart archive holding only its Chart.yaml. */
function chartArchive(dir: string, url: string, name: string, version: string): Promise<string> {
  return tarball(dir, url, name, (chart) =>
    fs.writeFileSync(path.join(chart, "Chart.yaml"), yaml.dump({ apiVersion: "v2", name, version, description: "sovereign-rehearsal fake chart" })),
  );
}

/** Builds the site for k3s `k3sVersion` (every rehearsal Sovereign uses the same). */
export async function buildSite(dir: string, k3sVersion: string): Promise<Site> {
  fs.mkdirSync(dir, { recursive: true });
  const fake = (name: string) => fs.readFileSync(path.join(FAKES_DIR, name));

  put(dir, DOWNLOADS.k3sInstaller(k3sVersion), fake("k3s-install.sh"));
  const k3sBase = `https://github.com/k3s-io/k3s/releases/download/${k3sVersion}`;
  const k3s = put(dir, `${k3sBase}/k3s`, fake("k3s.sh"), 0o755);
  for (const arch of ["amd64", "arm64"]) put(dir, `${k3sBase}/sha256sum-${arch}.txt`, `${sha256(k3s)}  k3s\n`);

  const helm: Record<string, string> = {};
  for (const arch of ["amd64", "arm64"] as const) {
    const file = await tarball(dir, DOWNLOADS.helm(DEFAULT_HELM.version, arch), `linux-${arch}`, (top) => fs.writeFileSync(path.join(top, "helm"), fake("helm.sh"), { mode: 0o755 }));
    helm[arch] = sha256(file);
  }

  const chart = await chartArchive(dir, DOWNLOADS.ciliumChart(DEFAULT_CILIUM.version), "cilium", DEFAULT_CILIUM.version);
  const ccmChart = await chartArchive(dir, DOWNLOADS.hcloudCcmChart(DEFAULT_HCLOUD_CCM.version), "hcloud-cloud-controller-manager", DEFAULT_HCLOUD_CCM.version);

  put(
    dir,
    DOWNLOADS.fluxInstall(DEFAULT_FLUX_VERSION),
    yaml.dump({ apiVersion: "v1", kind: "Namespace", metadata: { name: "flux-system" } }) +
      "---\n" +
      yaml.dump({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "source-controller", namespace: "flux-system" } }),
  );

  return {
    dir,
    k3sVersion,
    versions: {
      helm: { version: DEFAULT_HELM.version, sha256Amd64: helm.amd64, sha256Arm64: helm.arm64 },
      cilium: { version: DEFAULT_CILIUM.version, chartSha256: sha256(chart) },
      hcloudCcm: { version: DEFAULT_HCLOUD_CCM.version, chartSha256: sha256(ccmChart) },
      flux: DEFAULT_FLUX_VERSION,
    },
    fileOf: (url: string) => path.join(dir, siteKey(url)),
  };
}
