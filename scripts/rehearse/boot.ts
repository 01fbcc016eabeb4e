/**
 * One server booted under systemd-nspawn: a throw-away overlay over the
 * cached image, the user data as a NoCloud seed, a veth pair whose host end
 * lives in a network namespace of its own with the fake internet on it.
 * Every mount, link and process it creates is removed by {@link Boot.teardown},
 * also when the rehearsal is interrupted.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { exec, ExecResult, must } from "./exec";
import { APT_PROXY_PORT, FakesConfig, FakesControl } from "./fakes-control";
import { NETWORK } from "./network";
import { ROOT } from "./root";

/** What one boot needs. */
export interface BootSpec {
  /** Unique in the run (also names the namespace and the work directory). */
  readonly id: string;
  /** The server's name: its hostname. */
  readonly server: string;
  readonly privateIp: string;
  readonly userData: string;
  /** Image layers, top first. */
  readonly lowerDirs: readonly string[];
  /** CATALYST_STEP_TIMEOUT_SEC for cloud-final, set from outside the product by a drop-in. @default the product's */
  readonly stepTimeoutSec?: number;
  readonly caCert: string;
  readonly fakes: Omit<FakesConfig, "records" | "control" | "publicIp" | "loadBalancerIp" | "gatewayIp">;
  readonly control: FakesControl;
  /** Host names the container resolves to the fakes. */
  readonly fakedHosts: readonly string[];
  /** Where logs and records are kept. */
  readonly logDir: string;
}

/** Every boot still holding resources, for the signal handler. */
export const ACTIVE = new Set<Boot>();

const WORK_ROOT = "/var/tmp/sovereign-rehearsal";
/** A run's own directory (site, CA, apt proxy socket) is this plus the rehearsal's PID. */
export const RUN_DIR_PREFIX = "/var/tmp/sovereign-rehearsal-run-";
const CONTAINER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * Removes what earlier rehearsals left when they were killed outright
 * (SIGKILL, a crash): their containers, fake servers, overlays and network
 * namespaces, recognised by the rehearsal's own names and a dead owner PID.
 */
export async function reapStale(): Promise<void> {
  const alive = (pid: number) => fs.existsSync(`/proc/${pid}`);
  for (const d of fs.readdirSync(path.dirname(RUN_DIR_PREFIX))) {
    const owner = d.startsWith(path.basename(RUN_DIR_PREFIX)) ? Number(d.slice(path.basename(RUN_DIR_PREFIX).length)) : NaN;
    if (owner > 0 && !alive(owner)) fs.rmSync(path.join(path.dirname(RUN_DIR_PREFIX), d), { recursive: true, force: true });
  }
  const stale = new Set<string>();
  if (fs.existsSync(WORK_ROOT)) for (const d of fs.readdirSync(WORK_ROOT)) if (!alive(Number(d.split("-")[0]))) stale.add(d);
  const netns = (await exec(["ip", "netns", "list"])).stdout.split("\n").map((l) => l.split(" ")[0]).filter((n) => /^sovreh-\d+-/.test(n));
  for (const n of netns) if (!alive(Number(n.split("-")[1]))) stale.add(n.slice("sovreh-".length));
  if (stale.size === 0) return;
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    let cmdline = "";
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    // nspawn names the overlay; the fake server carries the namespace's name.
    if ([...stale].some((s) => cmdline.includes(`${WORK_ROOT}/${s}/`) || cmdline.includes(`sovreh-${s}\0`))) {
      // The container's PID 1 goes with nspawn once nspawn is killed.
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  }
  await new Promise((r) => setTimeout(r, 1000));
  for (const s of stale) {
    const merged = path.join(WORK_ROOT, s, "merged");
    if ((await exec(["mountpoint", "-q", merged])).code === 0 && (await exec(["umount", merged])).code !== 0) await exec(["umount", "-l", merged]);
    fs.rmSync(path.join(WORK_ROOT, s), { recursive: true, force: true });
    await exec(["ip", "netns", "del", `sovreh-${s}`]);
  }
  process.stderr.write(`rehearse: removed what ${stale.size} boot(s) of an earlier, killed rehearsal left\n`);
}

/** A booted (or booting) server. */
export class Boot {
  readonly netns: string;
  readonly work: string;
  readonly merged: string;
  readonly records: string;
  readonly instanceId: string;
  startedAt = 0;
  finishedAt = 0;
  private nspawn?: ChildProcess;
  private nspawnExited?: Promise<number>;
  private exitCode?: number;
  private fakesProcess?: ChildProcess;
  private leaderPid?: number;
  private mounted = false;
  private netnsCreated = false;

  constructor(readonly spec: BootSpec) {
    this.netns = `sovreh-${process.pid}-${spec.id}`;
    this.work = path.join(WORK_ROOT, `${process.pid}-${spec.id}`);
    this.merged = path.join(this.work, "merged");
    this.records = path.join(spec.logDir, "fakes");
    this.instanceId = `rehearsal-${spec.id}-${Date.now()}`;
  }

  /** A path inside the container, seen from the host (no symlinks followed inside). */
  hostPath(p: string): string {
    return path.join(this.merged, p);
  }

  /** Writes the fakes' control settings (read on every request). */
  setControl(control: FakesControl): void {
    fs.writeFileSync(path.join(this.spec.logDir, "control.json"), JSON.stringify(control, null, 2));
  }

  async start(): Promise<void> {
    ACTIVE.add(this);
    fs.mkdirSync(this.records, { recursive: true });
    for (const d of ["upper", "work", "merged"]) fs.mkdirSync(path.join(this.work, d), { recursive: true });
    await must([
      "mount", "-t", "overlay", "overlay", "-o",
      `lowerdir=${this.spec.lowerDirs.join(":")},upperdir=${path.join(this.work, "upper")},workdir=${path.join(this.work, "work")}`,
      this.merged,
    ]);
    this.mounted = true;
    this.prepareRoot();
    await this.network();
    await this.startFakes();
    this.startContainer();
  }

  /** Seed, hosts, trust store, apt proxy, deadline drop-in: the rehearsal's only changes to the image. */
  private prepareRoot(): void {
    const { spec } = this;
    const write = (p: string, content: string, mode = 0o644) => {
      fs.mkdirSync(path.dirname(this.hostPath(p)), { recursive: true });
      fs.writeFileSync(this.hostPath(p), content, { mode });
      fs.chmodSync(this.hostPath(p), mode);
    };
    const seed = "/var/lib/cloud/seed/nocloud";
    // The seed stands in for Hetzner's metadata service: root-only, like /var/lib/cloud.
    write(`${seed}/user-data`, spec.userData, 0o600);
    write(`${seed}/meta-data`, yaml.dump({ "instance-id": this.instanceId, "local-hostname": spec.server }), 0o600);
    write(`${seed}/vendor-data`, "", 0o600);
    write(
      `${seed}/network-config`,
      yaml.dump({
        version: 2,
        ethernets: {
          [NETWORK.containerInterface]: {
            match: { name: NETWORK.containerInterface },
            "set-name": NETWORK.containerInterface,
            addresses: [`${spec.privateIp}/${NETWORK.prefixLength}`],
            routes: [{ to: "0.0.0.0/0", via: NETWORK.gateway }],
          },
        },
      }),
      0o600,
    );
    fs.chmodSync(this.hostPath(seed), 0o700);
    write("/etc/hosts", `127.0.0.1 localhost\n127.0.1.1 ${spec.server}\n${NETWORK.publicFakes} ${spec.fakedHosts.join(" ")}\n`);
    // No resolver: a host name that is not faked fails to resolve.
    write("/etc/resolv.conf", "# sovereign-rehearsal: no DNS; faked hosts are in /etc/hosts\n");
    const ca = fs.readFileSync(spec.caCert, "utf8");
    write("/usr/local/share/ca-certificates/sovereign-rehearsal.crt", ca);
    fs.appendFileSync(this.hostPath("/etc/ssl/certs/ca-certificates.crt"), ca);
    write("/etc/apt/apt.conf.d/00sovereign-rehearsal-proxy", `Acquire::http::Proxy "http://${NETWORK.gateway}:${APT_PROXY_PORT}/";\nAcquire::https::Proxy "DIRECT";\n`);
    if (spec.stepTimeoutSec !== undefined) {
      // cloud-init 24.3+ runs every stage in cloud-init-main.service (the stage
      // units only signal it); older ones run runcmd in cloud-final.service.
      for (const unit of ["cloud-init-main.service", "cloud-final.service"]) {
        write(`/etc/systemd/system/${unit}.d/sovereign-rehearsal.conf`, `[Service]\nEnvironment=CATALYST_STEP_TIMEOUT_SEC=${spec.stepTimeoutSec}\n`);
      }
    }
  }

  private async network(): Promise<void> {
    const ip = (...args: string[]) => must(["ip", ...args]);
    const inNs = (...args: string[]) => must(["ip", "-n", this.netns, ...args]);
    await ip("netns", "add", this.netns);
    this.netnsCreated = true;
    await inNs("link", "set", "lo", "up");
    await inNs("link", "add", NETWORK.hostInterface, "type", "veth", "peer", "name", NETWORK.containerInterface);
    await inNs("addr", "add", `${NETWORK.gateway}/${NETWORK.prefixLength}`, "dev", NETWORK.hostInterface);
    await inNs("addr", "add", `${NETWORK.loadBalancer}/32`, "dev", NETWORK.hostInterface);
    await inNs("addr", "add", `${NETWORK.publicFakes}/32`, "dev", NETWORK.hostInterface);
    await inNs("link", "set", NETWORK.hostInterface, "up");
  }

  private async startFakes(): Promise<void> {
    const config: FakesConfig = {
      ...this.spec.fakes,
      records: this.records,
      control: path.join(this.spec.logDir, "control.json"),
      publicIp: NETWORK.publicFakes,
      loadBalancerIp: NETWORK.loadBalancer,
      gatewayIp: NETWORK.gateway,
    };
    const file = path.join(this.spec.logDir, "fakes.json");
    fs.writeFileSync(file, JSON.stringify(config, null, 2));
    this.setControl(this.spec.control);
    const child = spawn("ip", ["netns", "exec", this.netns, process.execPath, path.join(ROOT, "dist", "rehearse-fakes.js"), file, this.netns], {
      stdio: ["ignore", "pipe", fs.openSync(path.join(this.spec.logDir, "fakes.log"), "a")],
    });
    this.fakesProcess = child;
    await new Promise<void>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (b: Buffer) => {
        out += b.toString();
        if (out.includes("ready")) resolve();
      });
      child.on("exit", (code) => reject(new Error(`the fake server exited (${code}); see ${this.spec.logDir}/fakes.log`)));
    });
  }

  private startContainer(): void {
    const console = fs.openSync(path.join(this.spec.logDir, "console.log"), "a");
    // A mount namespace of its own with /sys read-only tells nspawn there is
    // no udev to wait for; only the network namespace is the boot's (`ip
    // netns exec` would mount a fresh /sys without the host's cgroups).
    const argv = [
      "-m", "--propagation", "slave", "/bin/sh", "-c", 'mount -o remount,bind,ro /sys && exec "$@"', "sh",
      "nsenter", `--net=/run/netns/${this.netns}`,
      "systemd-nspawn", "--quiet", "-D", this.merged, "--register=no", "--keep-unit", "--private-network",
      `--network-interface=${NETWORK.containerInterface}`, "--resolv-conf=off", "--timezone=off", "--link-journal=no",
      "--console=pipe", `--machine=${this.spec.server}`, "-b",
    ];
    this.startedAt = Date.now();
    const child = spawn("unshare", argv, { stdio: ["ignore", console, console], env: { ...process.env, SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: "1" } });
    this.nspawn = child;
    this.nspawnExited = new Promise((resolve) =>
      child.on("exit", (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : 1);
        resolve(this.exitCode);
      }),
    );
  }

  /** PID 1 of the container (the systemd below nspawn). */
  private leader(): number | undefined {
    if (this.leaderPid) return this.leaderPid;
    const walk = (pid: number): number | undefined => {
      let children: string[] = [];
      try {
        children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
      } catch {
        return undefined;
      }
      for (const c of children.map(Number)) {
        try {
          if (fs.readFileSync(`/proc/${c}/comm`, "utf8").trim() === "systemd") return c;
        } catch {
          continue;
        }
        const found = walk(c);
        if (found) return found;
      }
      return undefined;
    };
    if (this.nspawn?.pid) this.leaderPid = walk(this.nspawn.pid);
    return this.leaderPid;
  }

  /** Whether the container is still running, and its exit status when not. */
  get exited(): number | undefined {
    return this.exitCode;
  }

  /**
   * Waits until cloud-init's final stage ended (boot-finished), the
   * container stopped, or `deadlineSec` passed. Returns what happened.
   */
  async waitForCloudInit(deadlineSec: number): Promise<"finished" | "exited" | "deadline"> {
    const marker = this.hostPath(`/var/lib/cloud/instances/${this.instanceId}/boot-finished`);
    const end = this.startedAt + deadlineSec * 1000;
    for (;;) {
      if (fs.existsSync(marker)) {
        this.finishedAt = Date.now();
        return "finished";
      }
      if (this.exitCode !== undefined) return "exited";
      if (Date.now() > end) return "deadline";
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Runs a command inside the container as root, with a login-like environment. */
  async run(argv: readonly string[], options: { input?: string; timeoutSec?: number } = {}): Promise<ExecResult> {
    const leader = this.leader();
    if (!leader) return { code: 255, stdout: "", stderr: "the container is not running" };
    const argvIn = ["nsenter", "-t", String(leader), "-a", "--", "/usr/bin/env", "-i", `PATH=${CONTAINER_PATH}`, "HOME=/root", "LANG=C.UTF-8", ...argv];
    // Node hands a child a socket as stdin; through `cat` it is a pipe, as
    // from a terminal, so `/dev/stdin` can be opened.
    return exec(options.input === undefined ? argvIn : ["/bin/sh", "-c", 'cat | exec "$@"', "sh", ...argvIn], {
      input: options.input,
      timeoutSec: options.timeoutSec ?? 120,
    });
  }

  /** Runs a shell command line inside the container. */
  sh(line: string, timeoutSec?: number): Promise<ExecResult> {
    return this.run(["/bin/sh", "-c", line], { timeoutSec });
  }

  /** Copies the journal, cloud-init's logs, the step markers and the fakes' records into the log directory. */
  async collectLogs(): Promise<void> {
    const dir = this.spec.logDir;
    const journal = await this.run(["journalctl", "-b", "--no-pager", "-o", "short-precise"], { timeoutSec: 60 });
    fs.writeFileSync(path.join(dir, "journal.txt"), journal.stdout + journal.stderr);
    const network = await this.sh("cat /etc/hosts /etc/resolv.conf; ip addr; ip route; ss -tnp", 30);
    fs.writeFileSync(path.join(dir, "network.txt"), network.stdout + network.stderr);
    for (const p of ["/var/log/cloud-init.log", "/var/log/cloud-init-output.log"]) {
      if (fs.existsSync(this.hostPath(p))) fs.copyFileSync(this.hostPath(p), path.join(dir, path.basename(p)));
    }
    for (const [from, to] of [["/var/lib/catalyst/steps", "steps"], ["/var/lib/sovereign-rehearsal", "container-records"]]) {
      if (fs.existsSync(this.hostPath(from))) fs.cpSync(this.hostPath(from), path.join(dir, to), { recursive: true });
    }
  }

  /** Stops the container and removes every mount, link, namespace and process of this boot. Safe to call twice. */
  async teardown(): Promise<void> {
    if (this.nspawn && this.exitCode === undefined) {
      await this.sh("systemctl poweroff --no-block", 15).catch(() => undefined);
      const stopped = await Promise.race([this.nspawnExited, new Promise((r) => setTimeout(() => r("timeout"), 30_000))]);
      if (stopped === "timeout") {
        const leader = this.leader();
        if (leader) process.kill(leader, "SIGKILL");
        this.nspawn.kill("SIGKILL");
        await Promise.race([this.nspawnExited, new Promise((r) => setTimeout(r, 10_000))]);
      }
    }
    if (this.fakesProcess && this.fakesProcess.exitCode === null) {
      const gone = new Promise((r) => this.fakesProcess!.once("exit", r));
      this.fakesProcess.kill("SIGTERM");
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
      if (this.fakesProcess.exitCode === null) this.fakesProcess.kill("SIGKILL");
    }
    if (this.mounted) {
      const r = await exec(["umount", this.merged]);
      if (r.code !== 0) await exec(["umount", "-l", this.merged]);
      this.mounted = false;
    }
    fs.rmSync(this.work, { recursive: true, force: true });
    if (fs.existsSync(WORK_ROOT) && fs.readdirSync(WORK_ROOT).length === 0) fs.rmSync(WORK_ROOT, { recursive: true, force: true });
    if (this.netnsCreated) {
      await exec(["ip", "netns", "del", this.netns]);
      this.netnsCreated = false;
    }
    ACTIVE.delete(this);
  }
}
