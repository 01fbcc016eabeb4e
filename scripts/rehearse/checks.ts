/**
 * What a scenario checks, from inside the booted container and from what
 * the fakes recorded. Each check returns undefined when it holds, or one
 * line saying what was found instead.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { rebootTime } from "../../userdata/hardening";
import { PATHS } from "../../userdata/paths";
import type { Boot } from "./boot";
import { APT_PROXY_PORT } from "./fakes-control";
import { NETWORK } from "./network";
import { BootedCloudConfig, calls, installerEnv, k3sConfigSeen, RecordedCall, requests, stepNames, storedKubeconfigs } from "./records";

/** Everything a check may look at. */
export interface CheckContext {
  readonly boot: Boot;
  readonly cloudConfig: BootedCloudConfig;
  readonly role: "first-server" | "joining-server" | "agent";
  /** Stand-in secret values the user data carries. */
  readonly secrets: readonly string[];
  readonly agentToken: string;
  readonly loadBalancerIpv4: string;
  /** The pinned SHA-256 of the Cilium chart. */
  readonly chartSha256: string;
  /** The pinned SHA-256 of the cloud controller's chart. */
  readonly ccmChartSha256: string;
  /** The Sovereign's cloud controller (its file's cloudController, default hcloud). */
  readonly cloudController: "hcloud" | "k3s";
}

/** A named check. */
export interface Check {
  readonly name: string;
  readonly run: (ctx: CheckContext) => Promise<string | undefined>;
}

const check = (name: string, run: Check["run"]): Check => ({ name, run });
const exists = (ctx: CheckContext, p: string) => fs.existsSync(ctx.boot.hostPath(p));
const read = (ctx: CheckContext, p: string) => (exists(ctx, p) ? fs.readFileSync(ctx.boot.hostPath(p), "utf8") : "");
const argvHas = (c: RecordedCall, ...words: string[]) => words.every((w) => c.argv.includes(w));
const firstLine = (s: string) => s.trim().split("\n").slice(-3).join(" | ").slice(0, 300);

/** Markers of the steps that ran, by name: done/failed/log mtimes. */
function markers(ctx: CheckContext): Map<string, { done?: number; failed?: number; log?: number }> {
  const dir = ctx.boot.hostPath(PATHS.steps);
  const out = new Map<string, { done?: number; failed?: number; log?: number }>();
  if (!fs.existsSync(dir)) return out;
  for (const f of fs.readdirSync(dir)) {
    const m = /^(.*)\.(done|failed|log)$/.exec(f);
    if (!m) continue;
    const entry = out.get(m[1]) ?? {};
    entry[m[2] as "done"] = fs.statSync(path.join(dir, f)).mtimeMs;
    out.set(m[1], entry);
  }
  return out;
}

// ------------------------------------------------------------ boot flow --

export const completeInOrder = check("completion marker; every step done, in order", async (ctx) => {
  const steps = stepNames(ctx.cloudConfig);
  const found = markers(ctx);
  let last = 0;
  for (const step of steps) {
    const m = found.get(step);
    if (!m?.done) return `step ${step} has no .done marker${m?.failed ? ` (.failed: ${firstLine(read(ctx, `${PATHS.steps}/${step}.failed`))})` : ""}`;
    if (m.done < last) return `step ${step} finished before the step listed before it`;
    last = m.done;
  }
  if (!exists(ctx, PATHS.complete)) return `${PATHS.complete} is missing`;
  return undefined;
});

export const cloudInitDone = check("cloud-init status: done, no error, no warning or deprecation", async (ctx) => {
  const r = await ctx.boot.run(["cloud-init", "status", "--format", "json"]);
  const status = (() => {
    try {
      return JSON.parse(r.stdout);
    } catch {
      return {};
    }
  })();
  fs.writeFileSync(path.join(ctx.boot.spec.logDir, "cloud-init-status.json"), r.stdout);
  const recoverable = Object.entries<string[]>(status.recoverable_errors ?? {}).flatMap(([level, messages]) => messages.map((m) => `${level}: ${m}`));
  if (status.status === "done" && (status.errors ?? []).length === 0 && recoverable.length === 0) return undefined;
  return `status ${status.status}, errors ${JSON.stringify(status.errors ?? [])}${recoverable.length > 0 ? `, ${recoverable.join("; ").slice(0, 400)}` : ""}`;
});

/**
 * Units of the stand-in, not of the product, that now and then fail in a
 * container: Debian's ifupdown `networking.service` (Ubuntu has no
 * ifupdown; netplan configures the interface) and `systemd-remount-fs`
 * (remounting an overlay root). Seen on some cold runs only.
 */
const CONTAINER_ONLY_UNITS = new Set(["networking.service", "systemd-remount-fs.service"]);

export const noFailedUnits = check("no failed systemd unit (but the stand-in's container-only ones)", async (ctx) => {
  const r = await ctx.boot.run(["systemctl", "list-units", "--failed", "--plain", "--no-legend"]);
  const failed = r.stdout.trim().split("\n").filter(Boolean).map((l) => l.split(/\s+/)[0]).filter((u) => !CONTAINER_ONLY_UNITS.has(u));
  return failed.length === 0 ? undefined : `failed: ${failed.join(", ")}`;
});

export const packagesInstalled = check("every package of the user data is installed", async (ctx) => {
  const r = await ctx.boot.run(["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\\n", ...ctx.cloudConfig.packages]);
  const installed = new Set(r.stdout.split("\n").filter((l) => l.endsWith(" installed")).map((l) => l.split(" ")[0]));
  const missing = ctx.cloudConfig.packages.filter((p) => !installed.has(p));
  return missing.length === 0 ? undefined : `not installed: ${missing.join(", ")}`;
});

/** Steps listed after `step` in the runcmd. */
const stepsAfter = (ctx: CheckContext, step: string) => {
  const steps = stepNames(ctx.cloudConfig);
  return steps.slice(steps.indexOf(step) + 1);
};

/** The step failed (its .failed marker holds `reason`), no later step ran, no completion marker. */
export const stepFailed = (step: string, reason: RegExp) =>
  check(`step ${step} failed (${reason.source}); no later step ran; no completion marker`, async (ctx) => {
    const failed = read(ctx, `${PATHS.steps}/${step}.failed`);
    if (!failed) return `no ${step}.failed marker`;
    if (!reason.test(failed)) return `${step}.failed says: ${firstLine(failed)}`;
    const found = markers(ctx);
    const ran = stepsAfter(ctx, step).filter((s) => found.get(s)?.done || found.get(s)?.log || found.get(s)?.failed);
    if (ran.length > 0) return `later steps ran: ${ran.join(", ")}`;
    if (exists(ctx, PATHS.complete)) return `${PATHS.complete} exists`;
    return undefined;
  });

/** Secret files of the step manifest (words starting with "/"). */
function manifestSecrets(ctx: CheckContext): string[] {
  return read(ctx, PATHS.stepManifest)
    .split("\n")
    .flatMap((line) => line.trim().split(/\s+/).slice(1))
    .filter((w) => w.startsWith("/"));
}

export const secretFilesGone = (when: string) =>
  check(`every secret file of the step manifest is gone ${when}`, async (ctx) => {
    if (!exists(ctx, PATHS.stepManifest)) return `${PATHS.stepManifest} is missing`;
    const left = manifestSecrets(ctx).filter((p) => exists(ctx, p));
    return left.length === 0 ? undefined : `still there: ${left.join(", ")}`;
  });

/** The console says why the step failed. */
export const consoleSays = (what: RegExp) =>
  check(`cloud-init-output.log says ${what.source}`, async (ctx) => (what.test(read(ctx, "/var/log/cloud-init-output.log")) ? undefined : "no such line"));

// ------------------------------------------------------------- hardening --

export const sshdSettings = check("sshd -t passes; sshd -T: no passwords, no keyboard-interactive, root by key only", async (ctx) => {
  const t = await ctx.boot.run(["sshd", "-t"]);
  if (t.code !== 0) return `sshd -t: ${firstLine(t.stderr)}`;
  const T = await ctx.boot.run(["sshd", "-T"]);
  const want = ["passwordauthentication no", "kbdinteractiveauthentication no", "permitrootlogin without-password"];
  const lines = new Set(T.stdout.split("\n").map((l) => l.trim().toLowerCase()));
  const wrong = want.filter((w) => !lines.has(w));
  return wrong.length === 0 ? undefined : `sshd -T lacks: ${wrong.join("; ")}`;
});

export const fail2banActive = check("fail2ban-client -t passes; the sshd jail is active", async (ctx) => {
  const t = await ctx.boot.run(["fail2ban-client", "-t"]);
  if (t.code !== 0) return `fail2ban-client -t: ${firstLine(t.stderr + t.stdout)}`;
  for (let i = 0; i < 20; i++) {
    const s = await ctx.boot.run(["fail2ban-client", "status", "sshd"]);
    if (s.code === 0) return undefined;
    await new Promise((r) => setTimeout(r, 500));
  }
  const s = await ctx.boot.run(["fail2ban-client", "status", "sshd"]);
  return `fail2ban-client status sshd: ${firstLine(s.stderr + s.stdout)}`;
});

/** apt-config dump lines as key → values (lists keep every value). */
function aptDump(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const m = /^(\S+?)(::)? "(.*)";$/.exec(line.trim());
    if (!m) continue;
    out.set(m[1], [...(out.get(m[1]) ?? []), m[3]]);
  }
  return out;
}

export const unattendedUpgrades = check("apt-config dump: daily security-only unattended upgrades, staggered reboot time", async (ctx) => {
    const rebootAt = rebootTime(ctx.boot.spec.privateIp);
    const d = aptDump((await ctx.boot.run(["apt-config", "dump"])).stdout);
    const want: [string, string][] = [
      ["APT::Periodic::Update-Package-Lists", "1"],
      ["APT::Periodic::Unattended-Upgrade", "1"],
      ["Unattended-Upgrade::Automatic-Reboot", "true"],
      ["Unattended-Upgrade::Automatic-Reboot-Time", rebootAt],
    ];
    const wrong = want.filter(([k, v]) => (d.get(k) ?? []).slice(-1)[0] !== v).map(([k, v]) => `${k}=${JSON.stringify(d.get(k) ?? [])} (want ${v})`);
    // Every origin unattended-upgrades may install from is a security pocket.
    // (apt-config prints a list's head as `Key "";`.)
    const origins = [...(d.get("Unattended-Upgrade::Allowed-Origins") ?? []), ...(d.get("Unattended-Upgrade::Origins-Pattern") ?? [])].filter(Boolean);
    const notSecurity = origins.filter((o) => !/security/i.test(o));
    if (notSecurity.length > 0) wrong.push(`non-security origins allowed: ${notSecurity.join("; ")}`);
    if (origins.length === 0) wrong.push("no allowed origin at all");
    return wrong.length === 0 ? undefined : wrong.join("; ");
  });

/** unattended-upgrades' own view of what it may install, from a dry run. */
export const unattendedUpgradeOrigins = check("unattended-upgrade --dry-run allows security origins only", async (ctx) => {
  const r = await ctx.boot.run(["unattended-upgrade", "--dry-run", "--debug"], { timeoutSec: 180 });
  const out = r.stdout + r.stderr;
  fs.writeFileSync(path.join(ctx.boot.spec.logDir, "unattended-upgrade-dry-run.txt"), out);
  const allowed = /Allowed origins are: (.*)/.exec(out)?.[1];
  if (!allowed) return `no "Allowed origins are" line (exit ${r.code}): ${firstLine(out)}`;
  // "o=Debian,a=trixie-security, o=...": one origin per ", ".
  const origins = allowed.split(", ").map((o) => o.trim()).filter(Boolean);
  const other = origins.filter((o) => !/security/i.test(o));
  if (origins.length === 0) return `no origin: ${allowed}`;
  return other.length === 0 ? undefined : `also allowed: ${other.join(", ")}`;
});

// -------------------------------------------------------------- secrets --

/** Regular files the boot wrote (the overlay's upper layer), with their container paths. */
function writtenFiles(ctx: CheckContext): { file: string; host: string; mode: number }[] {
  const upper = path.join(ctx.boot.work, "upper");
  const out: { file: string; host: string; mode: number }[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const host = path.join(dir, e.name);
      const file = `/${path.relative(upper, host)}`;
      // The fakes' own records hold what they were given; /proc-like trees are not files.
      if (file === "/var/lib/sovereign-rehearsal" || file === "/var/log/journal") continue;
      if (e.isDirectory()) walk(host);
      else if (e.isFile()) out.push({ file, host, mode: fs.statSync(host).mode & 0o777 });
    }
  };
  if (fs.existsSync(upper)) walk(upper);
  return out;
}

function holdsSecret(ctx: CheckContext, host: string): boolean {
  if (fs.statSync(host).size > 16 * 1024 * 1024) return false;
  const text = fs.readFileSync(host, "latin1");
  return ctx.secrets.some((s) => text.includes(s));
}

export const secretFilesPrivate = check("every file holding a secret is owner-only (0600, or cloud-init's 0400); no secret in a world-readable file", async (ctx) => {
  const bad = writtenFiles(ctx)
    .filter((f) => holdsSecret(ctx, f.host) && (f.mode & 0o077) !== 0)
    .map((f) => `${f.file} (${f.mode.toString(8)})`);
  for (const p of [PATHS.k3sConfig, PATHS.k3sKubeconfig]) {
    if (exists(ctx, p)) {
      const mode = fs.statSync(ctx.boot.hostPath(p)).mode & 0o777;
      if (mode !== 0o600) bad.push(`${p} (${mode.toString(8)})`);
    }
  }
  return bad.length === 0 ? undefined : `not 0600: ${[...new Set(bad)].join(", ")}`;
});

export const noSecretInLogs = check("no stand-in secret in cloud-init-output.log or the journal", async (ctx) => {
  const journal = (await ctx.boot.run(["journalctl", "-b", "--no-pager", "-o", "cat"], { timeoutSec: 60 })).stdout;
  const output = read(ctx, "/var/log/cloud-init-output.log") + read(ctx, "/var/log/cloud-init.log");
  const found: string[] = [];
  ctx.secrets.forEach((s, i) => {
    if (journal.includes(s)) found.push(`secret #${i} in the journal`);
    if (output.includes(s)) found.push(`secret #${i} in cloud-init's logs`);
  });
  return found.length === 0 ? undefined : found.join(", ");
});

// ------------------------------------------------------------------ k3s --

/** The role's keys, as the fake installer found them in config.yaml. */
export const k3sConfigKeys = check("the k3s config the installer saw has the role's keys", async (ctx) => {
  const c = k3sConfigSeen(ctx.boot);
  if (!c) return "the fake installer never ran";
  const env = installerEnv(ctx.boot);
  const wrong: string[] = [];
  const want = (ok: boolean, what: string) => {
    if (!ok) wrong.push(what);
  };
  const server = `https://${NETWORK.loadBalancer}:6443`;
  want(typeof c["node-ip"] === "string" && c["node-ip"] === ctx.boot.spec.privateIp, `node-ip ${c["node-ip"]} (want ${ctx.boot.spec.privateIp})`);
  want(typeof c.token === "string" && (c.token as string).length > 0, "token");
  if (ctx.cloudController === "hcloud") {
    // Decided at first boot: every node waits for Hetzner's cloud controller, named as its server.
    want(Array.isArray(c["kubelet-arg"]) && (c["kubelet-arg"] as string[]).includes("cloud-provider=external"), "kubelet-arg cloud-provider=external");
    want(c["node-name"] === ctx.boot.spec.server, `node-name ${c["node-name"]} (want ${ctx.boot.spec.server})`);
    if (ctx.role !== "agent") want(c["disable-cloud-controller"] === true, "disable-cloud-controller");
  }
  if (ctx.role === "agent") {
    want(env?.exec === "agent", `INSTALL_K3S_EXEC ${env?.exec} (want agent)`);
    want(c.server === server, `server ${c.server} (want ${server})`);
    want(c.token === ctx.agentToken, "token is not the agent token");
    want(c["agent-token"] === undefined && c["cluster-init"] === undefined, "agent holds server-only keys");
  } else {
    want(env?.exec === "server", `INSTALL_K3S_EXEC ${env?.exec} (want server)`);
    want(c["agent-token"] === ctx.agentToken, "agent-token");
    want(Array.isArray(c["tls-san"]) && (c["tls-san"] as string[]).includes(ctx.loadBalancerIpv4) && (c["tls-san"] as string[]).includes(NETWORK.loadBalancer), "tls-san lacks a load balancer address");
    want(c["flannel-backend"] === "none", "flannel-backend");
    want(c["disable-kube-proxy"] === true, "disable-kube-proxy");
    if (ctx.role === "first-server") {
      want(c["cluster-init"] === true, "cluster-init");
      want(c.server === undefined, "first server has a join address");
    } else {
      want(c["cluster-init"] === undefined, "a joining server starts its own etcd (cluster-init)");
      want(c.server === server, `server ${c.server} (want ${server})`);
    }
  }
  return wrong.length === 0 ? undefined : wrong.join("; ");
});

export const nodeIpOnInterface = check("node-ip is an address of the private interface", async (ctx) => {
  const r = await ctx.boot.run(["ip", "-4", "-o", "addr", "show", "dev", NETWORK.containerInterface]);
  return r.stdout.includes(` ${ctx.boot.spec.privateIp}/`) ? undefined : `ip addr: ${firstLine(r.stdout + r.stderr)}`;
});

export const waitedForCacerts = check("waited for /cacerts, then fetched the installer", async (ctx) => {
  const reqs = requests(ctx.boot);
  const cacerts = reqs.find((r) => r.path === "/cacerts" && r.status === 200);
  const installer = reqs.find((r) => r.path?.endsWith("/install.sh"));
  if (!cacerts) return "no /cacerts request answered";
  if (!installer) return "the installer was never fetched";
  return cacerts.at <= installer.at ? undefined : "the installer was fetched before /cacerts answered";
});

export const installerNeverFetched = check("the installer was never fetched", async (ctx) =>
  requests(ctx.boot).some((r) => r.path?.endsWith("/install.sh")) ? "it was" : undefined,
);

// --------------------------------------------------------- first server --

/** The helm install of `release`: values the user data's `valuesFile`, chart with the pinned checksum. */
function helmInstall(ctx: CheckContext, release: string, valuesFile: string, chartSha256: string): { install?: RecordedCall; wrong: string[] } {
  const install = calls(ctx.boot).find((c) => c.tool === "helm" && argvHas(c, "upgrade", release));
  if (!install) return { wrong: [`helm never installed ${release}`] };
  const intended = ctx.cloudConfig.files.get(valuesFile)?.content;
  const wrong: string[] = [];
  if (!intended) wrong.push(`the user data writes no ${valuesFile}`);
  else if (install.files.length !== 1 || install.files[0] !== intended) wrong.push("helm got other values than the user data's");
  if (install.chartSha256 !== chartSha256) wrong.push(`chart sha256 ${install.chartSha256} (pinned ${chartSha256})`);
  return { install, wrong };
}

export const ccmInstalled = check("the cloud controller: its Secret applied and gone, its Helm values the user data's, the verified chart", async (ctx) => {
  const { install, wrong } = helmInstall(ctx, "hcloud-cloud-controller-manager", PATHS.hcloudCcmValues, ctx.ccmChartSha256);
  if (!install) return wrong.join("; ");
  const v = yaml.load(install.files[0] ?? "") as Record<string, any>;
  if (v?.networking?.enabled !== true) wrong.push("networking.enabled");
  if (v?.env?.HCLOUD_LOAD_BALANCERS_USE_PRIVATE_IP?.value !== "true") wrong.push("HCLOUD_LOAD_BALANCERS_USE_PRIVATE_IP");
  const secret = calls(ctx.boot).find(applies(PATHS.hcloudSecret));
  if (!secret) wrong.push("the hcloud Secret was never applied");
  else {
    const s = yaml.load(secret.files[0] ?? "") as { metadata?: { name?: string; namespace?: string }; data?: { token?: string; network?: string } };
    if (s?.metadata?.name !== "hcloud" || s?.metadata?.namespace !== "kube-system") wrong.push(`Secret ${s?.metadata?.namespace}/${s?.metadata?.name}`);
    if (!s?.data?.token || !s?.data?.network) wrong.push("Secret lacks token or network");
    if (secret.at > install.at) wrong.push("the Secret came after the chart");
  }
  if (exists(ctx, PATHS.hcloudSecret)) wrong.push(`${PATHS.hcloudSecret} is still on disk`);
  return wrong.length === 0 ? undefined : wrong.join("; ");
});

export const metadataPolicyApplied = check("the metadata-service deny policy applied (strict) is the user data's", async (ctx) => {
  const call = calls(ctx.boot).find(applies(PATHS.metadataPolicy));
  if (!call) return "never applied";
  const intended = ctx.cloudConfig.files.get(PATHS.metadataPolicy)?.content;
  if (call.files[0] !== intended) return "applied content differs from the user data's";
  if (!call.argv.includes("--validate=strict")) return "applied without --validate=strict";
  const p = yaml.load(call.files[0]) as { kind?: string; specs?: { egressDeny?: { toCIDR?: string[] }[] }[] };
  if (p.kind !== "CiliumClusterwideNetworkPolicy") return `kind ${p.kind}`;
  if (!(p.specs ?? []).every((s) => (s.egressDeny ?? []).some((d) => (d.toCIDR ?? []).includes("169.254.169.254/32")))) return "a rule does not deny 169.254.169.254/32";
  return undefined;
});

export const ciliumValues = check("Cilium's Helm values are the user data's, from the verified chart", async (ctx) => {
  const { install, wrong } = helmInstall(ctx, "cilium", PATHS.ciliumValues, ctx.chartSha256);
  if (!install) return wrong.join("; ");
  const v = yaml.load(install.files[0] ?? "") as Record<string, any>;
  if (v?.kubeProxyReplacement !== true) wrong.push("kubeProxyReplacement");
  if (v?.k8sServiceHost !== "127.0.0.1" || v?.k8sServicePort !== 6444) wrong.push(`API ${v?.k8sServiceHost}:${v?.k8sServicePort} (want 127.0.0.1:6444)`);
  if (v?.ipam?.mode !== "kubernetes") wrong.push("ipam.mode");
  return wrong.length === 0 ? undefined : wrong.join("; ");
});

/** Something that must happen before the Flux bootstrap, found in the call log. */
export interface BeforeFlux {
  readonly what: string;
  readonly matches: (c: RecordedCall) => boolean;
  /** Expected only when the user data has this step. @default always */
  readonly step?: string;
}

const applies = (file: string) => (c: RecordedCall) => c.tool === "k3s" && argvHas(c, "apply") && c.argv.includes(file);

/** What must precede the Flux bootstrap, in this order. */
const BEFORE_FLUX: readonly BeforeFlux[] = [
  { what: "readiness probe (get --raw /readyz)", matches: (c) => c.tool === "k3s" && argvHas(c, "--raw", "/readyz") },
  { what: "helm install of cilium", matches: (c) => c.tool === "helm" && argvHas(c, "upgrade", "cilium") },
  { what: "cilium rollout wait", matches: (c) => c.tool === "k3s" && argvHas(c, "rollout", "daemonset/cilium") },
  { what: "metadata policy applied", matches: applies(PATHS.metadataPolicy), step: "metadata-policy" },
  { what: "cloud controller installed", matches: (c) => c.tool === "helm" && argvHas(c, "upgrade", "hcloud-cloud-controller-manager"), step: "hcloud-ccm" },
  {
    what: "node initialised by the cloud controller (providerID)",
    matches: (c) => c.tool === "k3s" && argvHas(c, "get", "node") && c.argv.some((a) => a.includes("providerID")),
    step: "hcloud-ccm",
  },
  {
    what: "local-path StorageClass made the default",
    step: "default-storage-class",
    matches: (c) => c.tool === "k3s" && argvHas(c, "annotate", "storageclass", "local-path", "storageclass.kubernetes.io/is-default-class=true"),
  },
  { what: "flux install.yaml applied", matches: (c) => c.tool === "k3s" && argvHas(c, "apply") && c.files.some((f) => f.includes("source-controller")) },
  { what: "flux controllers waited for", matches: (c) => c.tool === "k3s" && argvHas(c, "wait", "-n", "flux-system") },
  { what: "pull Secret applied", matches: applies(PATHS.pullSecret), step: "pull-secret" },
];

export const orderBeforeFlux = (before: readonly BeforeFlux[] = BEFORE_FLUX) =>
  check(`order: ${before.map((b) => b.what).join(" < ")} < Flux bootstrap`, async (ctx) => {
    const log = calls(ctx.boot);
    const bootstrap = log.findIndex(applies(PATHS.fluxBootstrap));
    if (bootstrap < 0) return "the Flux bootstrap was never applied";
    const steps = stepNames(ctx.cloudConfig);
    let last = -1;
    for (const b of before.filter((x) => !x.step || steps.includes(x.step))) {
      const i = log.findIndex(b.matches);
      if (i < 0) return `${b.what}: never happened`;
      if (i > bootstrap) return `${b.what}: after the Flux bootstrap`;
      if (i < last) return `${b.what}: before the step listed before it`;
      last = i;
    }
    return undefined;
  });

export const pullSecretApplied = check("the pull Secret the cluster got is the user data's; its file is gone", async (ctx) => {
  const call = calls(ctx.boot).find(applies(PATHS.pullSecret));
  if (!call) return "never applied";
  const intended = ctx.cloudConfig.files.get(PATHS.pullSecret)?.content;
  if (call.files[0] !== intended) return "applied content differs from the user data's";
  return exists(ctx, PATHS.pullSecret) ? `${PATHS.pullSecret} is still on disk` : undefined;
});

export const onePostback = check("the API stored exactly one kubeconfig, server https://<LB IPv4>:6443", async (ctx) => {
  const puts = requests(ctx.boot).filter((r) => r.api);
  const stored = storedKubeconfigs(ctx.boot);
  if (puts.length !== 1 || puts[0].status !== 204) return `API requests: ${JSON.stringify(puts.map((p) => `${p.status} ${p.error ?? ""}`))}`;
  if (stored.length !== 1) return `${stored.length} kubeconfigs stored`;
  const kc = yaml.load(stored[0]) as { clusters?: { cluster?: { server?: string } }[] };
  const server = kc.clusters?.[0]?.cluster?.server;
  const want = `https://${ctx.loadBalancerIpv4}:6443`;
  if (server !== want) return `server ${server} (want ${want})`;
  if (puts[0].contentType !== "application/x-yaml") return `Content-Type ${puts[0].contentType}`;
  return undefined;
});

export const resentOnce = check("after the refusal, the by-hand re-send stored the kubeconfig, server https://<LB IPv4>:6443", async (ctx) => {
  const puts = requests(ctx.boot).filter((r) => r.api);
  const answers = puts.map((p) => `${p.status}${p.error ? ` ${p.error}` : ""}`);
  if (answers.join(",") !== "403 invalid-bearer,204") return `API answers: ${answers.join(", ")}`;
  const kc = yaml.load(storedKubeconfigs(ctx.boot)[0] ?? "") as { clusters?: { cluster?: { server?: string } }[] };
  const want = `https://${ctx.loadBalancerIpv4}:6443`;
  return kc?.clusters?.[0]?.cluster?.server === want ? undefined : `server ${kc?.clusters?.[0]?.cluster?.server} (want ${want})`;
});

export const bearerGone = check("the bearer file is gone", async (ctx) => (exists(ctx, PATHS.postbackBearer) ? `${PATHS.postbackBearer} exists` : undefined));

export const noPostback = check("postback off: no request to the API, no bearer file ever written", async (ctx) => {
  const puts = requests(ctx.boot).filter((r) => r.api || r.path?.includes("/api/v1/deployments/"));
  if (puts.length > 0) return `${puts.length} API requests`;
  if (ctx.cloudConfig.files.has(PATHS.postbackBearer)) return "the user data carries a bearer file";
  return undefined;
});

export const postbackRefused = check("one PUT, refused 403 invalid-bearer, not retried", async (ctx) => {
  const puts = requests(ctx.boot).filter((r) => r.api);
  if (puts.length !== 1) return `${puts.length} API requests`;
  return puts[0].status === 403 && puts[0].error === "invalid-bearer" ? undefined : `answer ${puts[0].status} ${puts[0].error}`;
});

export const helmNeverRan = check("the downloaded helm never ran and was not installed", async (ctx) => {
  if (calls(ctx.boot).some((c) => c.tool === "helm")) return "helm ran";
  if (exists(ctx, "/usr/local/bin/helm")) return "/usr/local/bin/helm exists";
  if (!requests(ctx.boot).some((r) => r.host === "get.helm.sh" && r.status === 200)) return "the archive was never downloaded (the check proves nothing)";
  return undefined;
});

export const proxyRefusesOthers = check("the apt proxy refuses any host but the mirror", async (ctx) => {
  const r = await ctx.boot.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "-x", `http://${NETWORK.gateway}:${APT_PROXY_PORT}`, "http://example.org/"]);
  return r.stdout.trim() === "403" ? undefined : `answer ${r.stdout.trim() || r.code}`;
});

export const unfakedHostsUnresolvable = check("a host that is not faked does not resolve", async (ctx) => {
  const r = await ctx.boot.run(["curl", "-sS", "--max-time", "10", "https://deb.debian.org/"]);
  return r.code === 6 ? undefined : `curl exit ${r.code}: ${firstLine(r.stderr)}`;
});

