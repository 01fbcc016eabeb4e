/**
 * `npm run rehearse [-- <stack> [<server>]]`: boots servers' exact user data
 * under real cloud-init with systemd as PID 1 (systemd-nspawn), the
 * internet replaced by local fakes, and checks what each boot did. With no
 * arguments, runs the rehearsal set (rehearsal/sovereigns/); with a stack,
 * boots its servers (or the one named) with the checks of their role.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { STAND_INS } from "../evaluate-user-data";
import { chooseServers, PREVIEW_SECRETS } from "../preview-user-data";
import { startAptProxy } from "./apt-proxy";
import { ACTIVE, Boot, reapStale, RUN_DIR_PREFIX } from "./boot";
import { makeCertificates } from "./ca";
import type { CheckContext } from "./checks";
import { debianMirror, baseImage, packagesLayer } from "./image";
import { exec } from "./exec";
import type { FakesControl } from "./fakes-control";
import { NETWORK } from "./network";
import { parseCloudConfig } from "./records";
import { ROOT } from "./root";
import { ACCEPTS_PREVIEW_BEARER, defaultScenarios, Scenario, serverScenario } from "./scenarios";
import { buildSite, downloadHosts, Site } from "./site";
import { EXAMPLES, findSovereignFile, REHEARSAL_SOVEREIGNS, rehearsalUserData } from "./sovereigns";
import { CloudController, DEFAULT_K3S_VERSION } from "../../config/defaults";
import { SovereignFileError, formatProblem } from "../../config/errors";
import { loadSovereignFile, Sovereign } from "../../config/load";
import { PATHS } from "../../userdata/paths";

/** Host names the container resolves to the fakes (the provisioning API's are added per Sovereign). */
const FAKED_HOSTS = downloadHosts();
/** Seconds a boot may take until cloud-init's final stage ends. */
const BOOT_DEADLINE_SEC = Number(process.env.REHEARSAL_BOOT_DEADLINE_SEC || 420);
const PARALLEL = Math.max(1, Number(process.env.REHEARSAL_PARALLEL || 2));
const LOGS = path.join(ROOT, "rehearsal-logs");

const say = (line: string) => process.stderr.write(`rehearse: ${line}\n`);

/** A planned boot: the scenario with its evaluated user data. */
interface Planned {
  readonly id: string;
  readonly scenario: Scenario;
  readonly stack: string;
  readonly server: string;
  readonly userData: string;
  readonly apiHost?: string;
  readonly apiBasePath?: string;
  readonly deploymentId?: string;
  readonly cloudController: CloudController;
}

/** One line of the table. */
interface Outcome {
  readonly planned: Planned;
  readonly ok: boolean;
  readonly bootSec: number;
  readonly failures: string[];
  readonly logDir: string;
}

async function preflight(): Promise<string | undefined> {
  if (process.platform !== "linux") return "the rehearsal needs Linux (systemd-nspawn)";
  if (process.getuid?.() !== 0) return "the rehearsal needs root (mounts, network namespaces, systemd-nspawn); run it as root, e.g. in CI";
  const missing = async () => {
    const out: string[] = [];
    for (const tool of ["systemd-nspawn", "debootstrap"]) if ((await exec(["sh", "-c", `command -v ${tool}`])).code !== 0) out.push(tool);
    return out;
  };
  if ((await missing()).length > 0 && (await exec(["sh", "-c", "command -v apt-get"])).code === 0) {
    say("installing systemd-container and debootstrap");
    await exec(["apt-get", "install", "-y", "-qq", "systemd-container", "debootstrap"], { env: { DEBIAN_FRONTEND: "noninteractive" } });
  }
  const still = await missing();
  if (still.length > 0) return `missing ${still.join(" and ")} (apt-get install systemd-container debootstrap)`;
  for (const tool of ["terraform", "openssl", "ip", "nsenter", "tar"]) {
    if ((await exec(["sh", "-c", `command -v ${tool}`])).code !== 0) return `missing ${tool}`;
  }
  return undefined;
}

/** Plans the boots: scenarios with their user data. */
function plan(scenarios: readonly Scenario[], site: Site): Planned[] {
  const cache = new Map<string, ReturnType<typeof rehearsalUserData>>();
  return scenarios.map((scenario, i) => {
    const file = fs.existsSync(scenario.sovereign) ? scenario.sovereign : path.join(REHEARSAL_SOVEREIGNS, `${scenario.sovereign}.yaml`);
    const key = `${file}|${scenario.change ? scenario.name : ""}`;
    if (!cache.has(key)) cache.set(key, rehearsalUserData(file, site.versions, scenario.change && ((doc) => scenario.change!(doc, site.versions))));
    const { stack, servers, sovereign } = cache.get(key)!;
    const [chosen] = chooseServers(servers, scenario.server);
    if (!chosen) throw new Error(`${file}: no server ${scenario.server} (servers: ${servers.map((s) => s.server).join(", ")})`);
    const api = sovereign.postback && new URL(sovereign.postback.apiUrl);
    return {
      id: `b${i + 1}`,
      scenario,
      stack,
      server: chosen.server,
      userData: chosen.userData,
      apiHost: api?.hostname,
      apiBasePath: api?.pathname.replace(/\/+$/, ""),
      deploymentId: sovereign.postback?.deploymentId,
      cloudController: sovereign.cloudController,
    };
  });
}

async function runOne(p: Planned, lowerDirs: (image: Scenario["image"]) => string[], site: Site, certs: Awaited<ReturnType<typeof makeCertificates>>, aptSocket: string): Promise<Outcome> {
  const logDir = path.join(LOGS, `${p.id}-${p.server}-${p.scenario.name.replace(/[^A-Za-z0-9]+/g, "-").replace(/-+$/, "")}`);
  fs.rmSync(logDir, { recursive: true, force: true });
  fs.mkdirSync(logDir, { recursive: true });
  const cloudConfig = parseCloudConfig(p.userData);
  const k3sConfig = yaml.load(cloudConfig.files.get(PATHS.k3sConfig)?.content ?? "{}") as Record<string, string>;
  const privateIp = k3sConfig["node-ip"];
  let control: FakesControl = {
    serve: {},
    cacerts: "answer",
    ...(p.apiHost && p.deploymentId
      ? { api: { host: p.apiHost, basePath: p.apiBasePath ?? "", deployments: { [p.deploymentId]: ACCEPTS_PREVIEW_BEARER } } }
      : {}),
  };
  if (p.scenario.control) control = p.scenario.control(control, site);
  const boot = new Boot({
    id: p.id,
    server: p.server,
    privateIp,
    userData: p.userData,
    lowerDirs: lowerDirs(p.scenario.image),
    stepTimeoutSec: p.scenario.stepTimeoutSec,
    caCert: certs.caCert,
    fakes: { site: site.dir, cert: certs.cert, key: certs.key, caCert: certs.caCert, aptSocket },
    control,
    fakedHosts: [...FAKED_HOSTS, ...(p.apiHost ? [p.apiHost] : [])],
    logDir,
  });
  const failures: string[] = [];
  let bootSec = 0;
  try {
    await boot.start();
    const waited = await boot.waitForCloudInit(BOOT_DEADLINE_SEC);
    bootSec = Math.round(((boot.finishedAt || Date.now()) - boot.startedAt) / 100) / 10;
    if (waited !== "finished") failures.push(waited === "exited" ? `the container stopped (exit ${boot.exited}) before cloud-init finished` : `cloud-init did not finish within ${BOOT_DEADLINE_SEC} s`);
    const ctx: CheckContext = {
      boot,
      cloudConfig,
      role: p.scenario.role,
      chartSha256: site.versions.cilium.chartSha256,
      ccmChartSha256: site.versions.hcloudCcm.chartSha256,
      // Each stand-in secret, also base64-encoded (as in a Secret's data) without padding.
      secrets: [...Object.values(PREVIEW_SECRETS), STAND_INS["random_password.result"], STAND_INS["random_password.AgentToken.result"]].flatMap((s) => [
        s,
        Buffer.from(s).toString("base64").replace(/=+$/, ""),
      ]),
      agentToken: STAND_INS["random_password.AgentToken.result"],
      loadBalancerIpv4: STAND_INS["hcloud_load_balancer.ipv4"],
      cloudController: p.cloudController,
    };
    if (waited === "finished") {
      /** Runs one check (or the follow-up); what went wrong is a failure named `name`. */
      const verify = async (name: string, run: () => Promise<string | undefined>) => {
        const why = await run().catch((e: Error) => `error: ${e.message}`);
        if (why) failures.push(`${name}: ${why}`);
      };
      for (const check of p.scenario.checks) await verify(check.name, () => check.run(ctx));
      const followUp = p.scenario.followUp;
      if (followUp) {
        await verify(followUp.name, () => followUp.run(ctx, (change) => boot.setControl((control = change(control)))));
        for (const check of followUp.checks) await verify(`after ${followUp.name}: ${check.name}`, () => check.run(ctx));
      }
    }
    await boot.collectLogs().catch((e: Error) => failures.push(`collecting logs: ${e.message}`));
  } catch (err) {
    failures.push(`rehearsal error: ${(err as Error).message}`);
  } finally {
    await boot.teardown();
  }
  if (failures.length === 0 && !process.env.REHEARSAL_KEEP_LOGS) fs.rmSync(logDir, { recursive: true, force: true });
  return { planned: p, ok: failures.length === 0, bootSec, failures, logDir };
}

function table(outcomes: readonly Outcome[]): string {
  const rows = outcomes.map((o) => [o.planned.server, o.planned.scenario.name, o.ok ? "pass" : "FAIL", o.bootSec.toFixed(1)]);
  const head = ["server", "scenario", "result", "boot s"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(" | ")} |`;
  return [line(head), `|${widths.map((w, i) => (i === 3 ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`, ...rows.map(line)].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [stackArg, serverArg] = argv;
  if (stackArg === "-h" || stackArg === "--help") {
    process.stdout.write("usage: npm run rehearse [-- <stack> [<server>]]\n");
    return 0;
  }
  const problem = await preflight();
  if (problem) {
    process.stderr.write(`rehearse: cannot run: ${problem}\n`);
    return 2;
  }
  const started = Date.now();
  await reapStale();
  let scenarios = defaultScenarios();
  if (stackArg) {
    const file = findSovereignFile(stackArg, [process.env.SOVEREIGNS_DIR || path.join(ROOT, "sovereigns"), EXAMPLES, REHEARSAL_SOVEREIGNS]);
    if (!file) {
      process.stderr.write(`rehearse: no Sovereign file for ${stackArg}\n`);
      return 2;
    }
    let sovereign: Sovereign;
    try {
      sovereign = loadSovereignFile(file);
    } catch (err) {
      if (!(err instanceof SovereignFileError)) throw err;
      for (const problem of err.problems) process.stderr.write(`rehearse: error: ${formatProblem(problem)}\n`);
      return 1;
    }
    const servers = ["cp-1", ...(sovereign.controlPlane.ha ? ["cp-2", "cp-3"] : []), ...Array.from({ length: sovereign.workers.count }, (_, i) => `worker-${i + 1}`)];
    const chosen = serverArg ? servers.filter((s) => s === serverArg || serverArg.endsWith(`-${s}`)) : servers;
    if (chosen.length === 0) {
      process.stderr.write(`rehearse: no server ${serverArg} in ${stackArg}; servers: ${servers.join(", ")}\n`);
      return 2;
    }
    scenarios = chosen.map((s) => serverScenario(sovereign, s, s === "cp-1" ? "first-server" : s.startsWith("cp-") ? "joining-server" : "agent"));
  }

  // REHEARSAL_ONLY=<regular expression>: only the scenarios whose "<server> / <name>" matches.
  if (process.env.REHEARSAL_ONLY) {
    const only = new RegExp(process.env.REHEARSAL_ONLY);
    scenarios = scenarios.filter((s) => only.test(`${s.server} / ${s.name}`));
  }
  const workRoot = `${RUN_DIR_PREFIX}${process.pid}`;
  fs.rmSync(workRoot, { recursive: true, force: true });
  fs.mkdirSync(workRoot, { recursive: true, mode: 0o700 });
  fs.rmSync(LOGS, { recursive: true, force: true });
  fs.mkdirSync(LOGS, { recursive: true });
  const mirror = debianMirror();
  const proxy = await startAptProxy(path.join(workRoot, "apt-proxy.sock"), [new URL(mirror).hostname]);
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    say(`${signal}: removing every mount, link and process of the rehearsal`);
    Promise.all([...ACTIVE].map((b) => b.teardown().catch(() => undefined)))
      .then(() => proxy.close())
      .finally(() => {
        fs.rmSync(workRoot, { recursive: true, force: true });
        process.exit(130);
      });
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const site = await buildSite(path.join(workRoot, "site"), DEFAULT_K3S_VERSION);
    const planned = plan(scenarios, site);
    const apiHosts = [...new Set(planned.flatMap((p) => (p.apiHost ? [p.apiHost] : [])))];
    const certs = await makeCertificates(path.join(workRoot, "tls"), [...FAKED_HOSTS, ...apiHosts], [NETWORK.loadBalancer, NETWORK.publicFakes]);
    const base = await baseImage(proxy.url);
    const needsPackages = planned.some((p) => p.scenario.image === "packages");
    const packages = needsPackages ? await packagesLayer(base, [...new Set(planned.flatMap((p) => parseCloudConfig(p.userData).packages))], proxy.url) : undefined;
    const lowerDirs = (image: Scenario["image"]) => (image === "packages" && packages ? [packages, base] : [base]);
    say(`setup ${Math.round((Date.now() - started) / 1000)} s; booting ${planned.length} server(s), ${PARALLEL} at a time`);
    const outcomes: Outcome[] = new Array(planned.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(PARALLEL, planned.length) }, async () => {
        while (next < planned.length && !interrupted) {
          const i = next++;
          const o = await runOne(planned[i], lowerDirs, site, certs, proxy.socket);
          outcomes[i] = o;
          say(`${o.ok ? "pass" : "FAIL"} ${o.planned.server} / ${o.planned.scenario.name} (${o.bootSec.toFixed(1)} s)`);
        }
      }),
    );
    const done = outcomes.filter(Boolean);
    process.stdout.write(`\n${table(done)}\n`);
    for (const o of done.filter((o) => !o.ok)) {
      process.stdout.write(`\n${o.planned.server} / ${o.planned.scenario.name}:\n${o.failures.map((f) => `  - ${f}`).join("\n")}\n  logs (journal.txt, cloud-init-output.log, cloud-init.log, steps/, console.log, fakes/): ${o.logDir}\n`);
    }
    process.stdout.write(`\napt proxy: ${proxy.forwarded()} request(s) forwarded to ${new URL(mirror).hostname}, ${proxy.refused.length} refused${proxy.refused.length > 0 ? `, e.g. ${proxy.refused[0]}` : ""}\n`);
    process.stdout.write(`\n${done.filter((o) => o.ok).length}/${done.length} passed in ${Math.round((Date.now() - started) / 1000)} s\n`);
    return done.every((o) => o.ok) && done.length === planned.length ? 0 : 1;
  } finally {
    await proxy.close();
    fs.rmSync(workRoot, { recursive: true, force: true });
  }
}

/** Any unexpected end still removes every boot's mounts, links and processes. */
function fatal(err: unknown): void {
  try {
    process.stderr.write(`rehearse: ${(err as Error)?.stack ?? err}\n`);
  } catch {
    /* stderr is gone */
  }
  Promise.all([...ACTIVE].map((b) => b.teardown().catch(() => undefined))).finally(() => process.exit(1));
}

if (require.main === module) {
  // A closed pipe on our output (`| head`) must not kill us before the clean-up.
  process.stdout.on("error", () => undefined);
  process.stderr.on("error", () => undefined);
  process.on("uncaughtException", fatal);
  process.on("unhandledRejection", fatal);
  main(process.argv.slice(2)).then((code) => process.exit(code), fatal);
}
