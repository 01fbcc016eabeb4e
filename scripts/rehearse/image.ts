/**
 * The container's root file system: Debian trixie from debootstrap with
 * cloud-init and openssh-server (the stand-in for Ubuntu 24.04), cached
 * under ~/.cache/sovereign-rehearsal/ and keyed by a hash of its recipe, so
 * a changed recipe builds a new one. A second, optional layer holds the
 * packages the user data asks for, so most boots skip the download.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { exec, must } from "./exec";

/** Everything that decides the base image's content. */
export interface BaseRecipe {
  readonly suite: string;
  readonly mirror: string;
  /** debootstrap --include. */
  readonly include: readonly string[];
  /** Installed with apt inside the bootstrapped root. */
  readonly packages: readonly string[];
  readonly locale: string;
  /** Files written into the root, by path. */
  readonly files: Readonly<Record<string, string>>;
  /** Bump to force a rebuild when the build steps below change. */
  readonly buildSteps: number;
}

/** Where the machine's apt finds Debian: the first non-security URI of its deb822 sources. */
export function debianMirror(sourcesFile = "/etc/apt/sources.list.d/debian.sources"): string {
  const text = fs.existsSync(sourcesFile) ? fs.readFileSync(sourcesFile, "utf8") : "";
  for (const stanza of text.split(/\n\s*\n/)) {
    const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
    const suites = /^Suites:\s*(.*)$/m.exec(stanza)?.[1] ?? "";
    if (uri && !/-security\b/.test(suites)) return uri.replace(/\/+$/, "");
  }
  return "http://deb.debian.org/debian";
}

/** The base image's recipe. */
export function baseRecipe(mirror = debianMirror()): BaseRecipe {
  return {
    suite: "trixie",
    mirror,
    include: ["systemd-sysv", "dbus", "ca-certificates", "locales"],
    packages: ["cloud-init", "openssh-server", "sudo", "curl", "netplan.io"],
    locale: "en_US.UTF-8",
    files: {
      // NoCloud reads the seed the rehearsal writes; no network datasource is probed.
      "etc/cloud/cloud.cfg.d/90-rehearsal-datasource.cfg": "datasource_list: [NoCloud, None]\n",
      // Network config through netplan and systemd-networkd, as on Ubuntu 24.04 (Debian would pick ifupdown).
      "etc/cloud/cloud.cfg.d/90-rehearsal-network.cfg": "system_info:\n  network:\n    renderers: [netplan]\n",
      "etc/locale.gen": "en_US.UTF-8 UTF-8\n",
      "etc/default/locale": "LANG=en_US.UTF-8\n",
    },
    buildSteps: 1,
  };
}

/** Short stable hash of any JSON value. */
export function recipeHash(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);
}

/** The cache directory (SOVEREIGN_REHEARSAL_CACHE overrides it). */
export function cacheDir(): string {
  return process.env.SOVEREIGN_REHEARSAL_CACHE || path.join(os.homedir(), ".cache", "sovereign-rehearsal");
}

/**
 * nspawn running one command in a root that is not booted (image builds
 * only: host network, so apt reaches the rehearsal's proxy on loopback).
 */
function inRoot(root: string, script: string, proxy: string): string[] {
  return ["systemd-nspawn", "--quiet", "--register=no", "--keep-unit", "--pipe", "--resolv-conf=copy-host", `--setenv=http_proxy=${proxy}`, "-D", root, "/bin/sh", "-euc", script];
}

const APT_ENV = "export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8;";

async function logged(log: string, what: string, argv: string[], proxy: string): Promise<void> {
  const started = Date.now();
  const r = await exec(argv, { env: { SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: "1", http_proxy: proxy } });
  fs.appendFileSync(log, `$ ${argv.join(" ")}\n${r.stdout}${r.stderr}\n`);
  if (r.code !== 0) throw new Error(`image: ${what} failed (exit ${r.code}); see ${log}`);
  process.stderr.write(`rehearse: image: ${what} (${Math.round((Date.now() - started) / 1000)} s)\n`);
}

/** Returns the cached base root, building it first (through the apt proxy `proxy`) when its recipe is new. */
export async function baseImage(proxy: string, recipe: BaseRecipe = baseRecipe()): Promise<string> {
  const dir = path.join(cacheDir(), `base-${recipeHash(recipe)}`);
  const root = path.join(dir, "root");
  if (fs.existsSync(path.join(dir, "complete"))) return root;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const log = path.join(dir, "build.log");
  fs.writeFileSync(path.join(dir, "recipe.json"), `${JSON.stringify(recipe, null, 2)}\n`);
  process.stderr.write(`rehearse: building the base image in ${dir} (once per recipe)\n`);
  await logged(log, `debootstrap ${recipe.suite}`, ["debootstrap", `--include=${recipe.include.join(",")}`, recipe.suite, root, recipe.mirror], proxy);
  for (const [file, content] of Object.entries(recipe.files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content);
  }
  await logged(
    log,
    `apt-get install ${recipe.packages.join(" ")}`,
    inRoot(root, `${APT_ENV} apt-get update -qq; apt-get install -y -qq ${recipe.packages.join(" ")}; locale-gen; apt-get clean`, proxy),
    proxy,
  );
  // Every boot is a first boot: no machine id, no host keys, no hostname, no cloud-init state.
  fs.writeFileSync(path.join(root, "etc/machine-id"), "");
  fs.rmSync(path.join(root, "var/lib/dbus/machine-id"), { force: true });
  for (const f of fs.readdirSync(path.join(root, "etc/ssh"))) if (f.startsWith("ssh_host_")) fs.rmSync(path.join(root, "etc/ssh", f));
  fs.rmSync(path.join(root, "etc/hostname"), { force: true });
  fs.rmSync(path.join(root, "var/lib/cloud"), { recursive: true, force: true });
  fs.writeFileSync(path.join(dir, "complete"), `${new Date().toISOString()}\n`);
  return root;
}

/**
 * Returns an overlay layer over `base` with `packages` installed (cached
 * by base and package list), for boots that need not download them.
 */
export async function packagesLayer(base: string, packages: readonly string[], proxy: string): Promise<string> {
  const sorted = [...new Set(packages)].sort();
  const dir = path.join(cacheDir(), `packages-${recipeHash({ base, sorted })}`);
  const layer = path.join(dir, "layer");
  if (fs.existsSync(path.join(dir, "complete"))) return layer;
  fs.rmSync(dir, { recursive: true, force: true });
  const work = path.join(dir, "work");
  const merged = path.join(dir, "merged");
  for (const d of [layer, work, merged]) fs.mkdirSync(d, { recursive: true });
  const log = path.join(dir, "build.log");
  process.stderr.write(`rehearse: building the packages layer in ${dir} (${sorted.join(" ")})\n`);
  await must(["mount", "-t", "overlay", "overlay", "-o", `lowerdir=${base},upperdir=${layer},workdir=${work}`, merged]);
  try {
    await logged(log, "apt-get install (packages layer)", inRoot(merged, `${APT_ENV} apt-get update -qq; apt-get install -y -qq ${sorted.join(" ")}; apt-get clean`, proxy), proxy);
  } finally {
    await exec(["umount", merged]);
  }
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(merged, { recursive: true, force: true });
  fs.writeFileSync(path.join(dir, "complete"), `${new Date().toISOString()}\n`);
  return layer;
}
