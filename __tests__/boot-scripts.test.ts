/**
 * The boot scripts as a server receives them (the write_files content of the
 * example's first server, comments stripped), run under bash. The programs
 * they drive on a server (cloud-init, dpkg-query, ip, systemctl, curl and
 * the k3s installer) are stand-ins on PATH that record what they were asked.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PATHS, nodeCloudConfig } from "../userdata";
import { scriptPath } from "../userdata/paths";
import { bootInput } from "./fixtures/boot";

const SHIPPED = nodeCloudConfig(bootInput("first-server")).write_files;
function shipped(filePath: string): string {
  const file = SHIPPED.find((f) => f.path === filePath);
  if (!file) throw new Error(`${filePath} is not in the first server's user data`);
  return file.content;
}

/** A scratch directory with the script, a bin/ of stand-ins first on PATH, and helpers. */
class Sandbox {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "boot-"));
  readonly bin = path.join(this.dir, "bin");
  constructor() {
    fs.mkdirSync(this.bin);
  }
  /** Writes an executable stand-in for `name`. */
  stub(name: string, body: string): void {
    fs.writeFileSync(path.join(this.bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
  }
  file(name: string, content = ""): string {
    const p = path.join(this.dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
    return p;
  }
  run(script: string, args: string[], env: Record<string, string> = {}) {
    return spawnSync("bash", [script, ...args], { env: { ...process.env, PATH: `${this.bin}:${process.env.PATH}`, ...env }, encoding: "utf8", timeout: 30000 });
  }
  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

describe("step runner (catalyst-step), as shipped", () => {
  let box: Sandbox;
  let runner: string;
  let steps: string;
  let bearer: string;
  let pull: string;
  let env: Record<string, string>;
  beforeEach(() => {
    box = new Sandbox();
    runner = box.file("catalyst-step", shipped(PATHS.stepRunner));
    steps = path.join(box.dir, "steps");
    bearer = box.file("etc/postback-bearer", "b");
    pull = box.file("var/pull-secret.yaml", "p");
    const manifest = box.file("etc/steps", `prep jq curl\nsend ${bearer}\napply ${pull}\n`);
    // dpkg-query -W -f=${Status} PKG: installed when PKG is in $INSTALLED.
    box.stub("dpkg-query", `pkg=\${@: -1}; case " $INSTALLED " in *" $pkg "*) printf 'install ok installed' ;; *) echo "dpkg-query: no packages found matching $pkg" >&2; exit 1 ;; esac`);
    // cloud-init single --name write_files: writes the user data's files again.
    box.stub("cloud-init", `echo "$*" >> "${box.dir}/cloud-init.calls"; if [ "$3" = write_files ]; then echo b > "${bearer}"; echo p > "${pull}"; fi`);
    env = { CATALYST_STEPS_DIR: steps, CATALYST_STEP_MANIFEST: manifest, INSTALLED: "jq curl" };
  });
  afterEach(() => box.cleanup());

  test("fails the step that needs a package cloud-init could not install, naming the package", () => {
    const result = box.run(runner, ["prep", "true"], { ...env, INSTALLED: "curl" });
    expect(result.status).toBe(1);
    const reason = "package jq is not installed (cloud-init's package install failed? see /var/log/cloud-init.log)";
    expect(result.stdout).toContain(`catalyst-step: prep: FAILED: ${reason}`);
    expect(fs.readFileSync(path.join(steps, "prep.failed"), "utf8")).toMatch(new RegExp(`^step prep failed: ${reason.replace(/[()?.]/g, "\\$&")}\n`));
    // The step's command never ran, and a failure removes every secret.
    expect(fs.existsSync(path.join(steps, "prep.done"))).toBe(false);
    expect([fs.existsSync(bearer), fs.existsSync(pull)]).toEqual([false, false]);
    expect(box.run(runner, ["prep", "true"], env).status).toBe(1); // still marked failed
  });

  test("runs the step once its packages are installed", () => {
    expect(box.run(runner, ["prep", "true"], env).status).toBe(0);
    expect(fs.existsSync(path.join(steps, "prep.done"))).toBe(true);
  });

  test("deletes a step's secret file as soon as that step succeeds, and keeps the others", () => {
    expect(box.run(runner, ["send", "sh", "-c", `test -s ${bearer}`], env).status).toBe(0);
    expect([fs.existsSync(bearer), fs.existsSync(pull)]).toEqual([false, true]);
  });

  test("--resume re-creates the secrets of unfinished steps only, clears the failure and re-runs runcmd to the end", () => {
    const fixed = path.join(box.dir, "fixed");
    const seen = path.join(box.dir, "seen");
    // runcmd as cloud-init wrote it: every step under the runner.
    const runcmd = box.file(
      "runcmd",
      [
        `bash ${runner} prep true`,
        `bash ${runner} send true`,
        // Fails until the cause is fixed; records which secrets existed when it ran.
        `bash ${runner} apply sh -c 'echo "pull=$(test -e ${pull} && echo y) bearer=$(test -e ${bearer} && echo y)" >> ${seen}; test -e ${fixed}'`,
        `bash ${runner} complete touch ${path.join(box.dir, "complete")}`,
        "",
      ].join("\n"),
    );
    spawnSync("sh", [runcmd], { env: { ...process.env, PATH: `${box.bin}:${process.env.PATH}`, ...env } });
    expect(fs.readdirSync(steps).filter((f) => !f.endsWith(".log")).sort()).toEqual(["apply.failed", "prep.done", "send.done"]);
    expect([fs.existsSync(bearer), fs.existsSync(pull)]).toEqual([false, false]);

    fs.writeFileSync(fixed, "");
    const resumed = box.run(runner, ["--resume"], { ...env, CATALYST_RUNCMD: runcmd });
    expect(resumed.status).toBe(0);
    expect(fs.readFileSync(path.join(box.dir, "cloud-init.calls"), "utf8")).toBe(
      "single --name write_files --frequency always\nsingle --name write_files_deferred --frequency always\n",
    );
    // The pull Secret was back for its step; the spent bearer was not left lying.
    expect(fs.readFileSync(seen, "utf8")).toBe("pull=y bearer=\npull=y bearer=\n");
    expect(resumed.stdout).toContain("catalyst-step: send: already done, skipping");
    expect(fs.readdirSync(steps).filter((f) => !f.endsWith(".log")).sort()).toEqual(["apply.done", "complete.done", "prep.done", "send.done"]);
    expect(fs.existsSync(path.join(box.dir, "complete"))).toBe(true);
    expect([fs.existsSync(bearer), fs.existsSync(pull)]).toEqual([false, false]);
  });

  test("--resume deletes the re-created secret of a done step at once, before runcmd reaches that step", () => {
    fs.mkdirSync(steps);
    fs.writeFileSync(path.join(steps, "send.done"), "");
    fs.writeFileSync(path.join(steps, "prep.failed"), "");
    // runcmd stands in for the steps before "send": it only looks.
    const runcmd = box.file("runcmd", `echo "bearer=$(test -e ${bearer} && echo y) pull=$(test -e ${pull} && echo y)"\n`);
    const result = box.run(runner, ["--resume"], { ...env, CATALYST_RUNCMD: runcmd });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("bearer= pull=y\n");
    expect(fs.existsSync(path.join(steps, "prep.failed"))).toBe(false);
  });
});

describe("k3s-install.sh, as shipped", () => {
  let box: Sandbox;
  let script: string;
  let env: Record<string, string>;
  const NODE_IP = "10.0.1.2";
  beforeEach(() => {
    box = new Sandbox();
    script = box.file("k3s-install.sh", shipped(scriptPath("k3s-install.sh")));
    const calls = path.join(box.dir, "calls");
    // ip -o -4 addr show: the private address appears on the $IP_AFTER-th call.
    box.stub("ip", `n=$(( $(cat ${box.dir}/ip.count 2>/dev/null || echo 0) + 1 )); echo $n > ${box.dir}/ip.count; echo "1: lo    inet 127.0.0.1/8 scope host lo"; echo "2: eth0    inet 203.0.113.20/32 scope global dynamic eth0"; if [ "$n" -ge "\${IP_AFTER:-1}" ]; then echo "3: enp7s0    inet ${NODE_IP}/32 brd ${NODE_IP} scope global dynamic enp7s0"; fi`);
    // curl -o FILE URL: the installer. It records its environment; like the
    // real one (systemctl restart k3s under set -e), it fails when it starts
    // k3s itself and the first start fails.
    box.stub(
      "curl",
      `out=; while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done; printf '%s\\n' 'echo "skip_start=$INSTALL_K3S_SKIP_START exec=$INSTALL_K3S_EXEC version=$INSTALL_K3S_VERSION ip_calls=$(cat ${box.dir}/ip.count)" >> ${calls}' '[ "$INSTALL_K3S_SKIP_START" = true ] || { echo "Job for k3s.service failed" >&2; exit 1; }' > "$out"`,
    );
    // systemctl is-active: inactive until the $ACTIVE_AFTER-th call (systemd restarting a failed first start).
    box.stub("systemctl", `echo "systemctl $*" >> ${calls}; if [ "$1" = is-active ]; then n=$(( $(cat ${box.dir}/active.count 2>/dev/null || echo 0) + 1 )); echo $n > ${box.dir}/active.count; [ "$n" -ge "\${ACTIVE_AFTER:-1}" ]; fi`);
    box.stub("sleep", "exec /bin/sleep 0.05");
    env = { CATALYST_K3S_CONFIG: box.file("config.yaml", "node-ip: 10.0.1.2\n") };
  });
  afterEach(() => box.cleanup());
  const calls = () => fs.readFileSync(path.join(box.dir, "calls"), "utf8");

  test("waits for node-ip on the private interface before installing", () => {
    const result = box.run(script, ["v1.31.4+k3s1", "server", NODE_IP, "30"], { ...env, IP_AFTER: "4" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`k3s-install: node-ip ${NODE_IP} is up`);
    expect(calls()).toContain("skip_start=true exec=server version=v1.31.4+k3s1 ip_calls=4\n");
  });

  test("a first k3s start that fails but becomes active within the deadline is not a failure", () => {
    const result = box.run(script, ["v1.31.4+k3s1", "server", NODE_IP, "30"], { ...env, ACTIVE_AFTER: "5" });
    expect(result.status).toBe(0);
    expect(calls()).toContain("systemctl start --no-block k3s\n");
    expect(calls().match(/systemctl is-active --quiet k3s\n/g)).toHaveLength(5);
    expect(result.stdout).toContain("k3s-install: k3s is active");
  });

  test("agents start and await k3s-agent after the cluster answers at the join address", () => {
    const result = box.run(script, ["v1.31.4+k3s1", "agent", NODE_IP, "30", "https://10.0.1.5:6443", "30"], env);
    expect(result.status).toBe(0);
    expect(calls()).toContain("exec=agent");
    expect(calls()).toContain("systemctl is-active --quiet k3s-agent\n");
  });

  test("fails when node-ip never appears within the deadline, before installing anything", () => {
    const result = box.run(script, ["v1.31.4+k3s1", "server", NODE_IP, "1"], { ...env, IP_AFTER: "1000000" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`k3s-install: no interface held node-ip ${NODE_IP} (private network attached?) within 1 s`);
    expect(fs.existsSync(path.join(box.dir, "calls"))).toBe(false);
  });

  test("fails when k3s does not become active within the deadline", () => {
    const result = box.run(script, ["v1.31.4+k3s1", "server", NODE_IP, "1"], { ...env, ACTIVE_AFTER: "1000000" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("k3s-install: k3s did not become active (journalctl -u k3s) within 1 s");
  });
});
