/**
 * The rehearsal set: which server of which Sovereign boots under which
 * conditions, and what is checked afterwards.
 */
import * as fs from "fs";
import * as path from "path";
import * as c from "./checks";
import type { Check } from "./checks";
import type { FakeDeployment, FakesControl } from "./fakes-control";
import { resendCommands, resumeCommands } from "./readme";
import { PREVIEW_SECRETS } from "../preview-user-data";
import { createHash } from "crypto";
import { ROOT } from "./root";
import { FAKES_DIR, PinnedVersions, Site, siteKey } from "./site";
import { DOWNLOADS } from "../../userdata/versions";
import type { Sovereign } from "../../config/load";

/** Runs after the first checks, inside the still-running container; returns the checks of its outcome. */
export interface FollowUp {
  readonly name: string;
  readonly run: (ctx: c.CheckContext, setControl: (change: (control: FakesControl) => FakesControl) => void) => Promise<string | undefined>;
  readonly checks: readonly Check[];
}

/** One boot and its checks. */
export interface Scenario {
  readonly name: string;
  /** File name of the Sovereign (rehearsal/sovereigns/<file>.yaml), or a path. */
  readonly sovereign: string;
  /** Server name suffix: cp-1, cp-2, worker-1. */
  readonly server: string;
  readonly role: c.CheckContext["role"];
  /** "base": the user data installs its packages through the mirror; "packages": they are in the image already. */
  readonly image: "base" | "packages";
  /** Changes to the Sovereign file (after the fakes are pinned). */
  readonly change?: (doc: Record<string, any>, pinned: PinnedVersions) => void;
  readonly stepTimeoutSec?: number;
  /** Changes to the fakes' behaviour at boot; `site` finds the files they serve. */
  readonly control?: (control: FakesControl, site: Site) => FakesControl;
  readonly checks: readonly Check[];
  readonly followUp?: FollowUp;
}

/** A deployment of the fake API that accepts the bearer the user data carries (the preview's stand-in). */
export const ACCEPTS_PREVIEW_BEARER: FakeDeployment = { bearerSha256: createHash("sha256").update(PREVIEW_SECRETS.kubeconfig_bearer_token).digest("hex") };

/** Checks every server passes after a good boot. */
function everyServer(): Check[] {
  return [
    c.completeInOrder,
    c.cloudInitDone,
    c.noFailedUnits,
    c.packagesInstalled,
    c.sshdSettings,
    c.fail2banActive,
    c.unattendedUpgrades,
    c.unattendedUpgradeOrigins,
    c.k3sConfigKeys,
    c.nodeIpOnInterface,
    c.secretFilesPrivate,
    c.noSecretInLogs,
  ];
}

const readme = () => fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

/**
 * Runs the README's `commands` in the container in turn (`input` on the
 * stdin of those it gives one for), each with its output appended to `log`
 * in the boot's logs; the first failure, or undefined.
 */
async function runReadmeCommands(ctx: c.CheckContext, log: string, commands: readonly string[], timeoutSec: number, input?: (command: string) => string | undefined): Promise<string | undefined> {
  for (const command of commands) {
    const r = await ctx.boot.run(["/bin/sh", "-c", command], { input: input?.(command), timeoutSec });
    fs.appendFileSync(path.join(ctx.boot.spec.logDir, log), `$ ${command}\n${r.stdout}${r.stderr}(exit ${r.code})\n`);
    if (r.code !== 0) return `\`${command}\` exited ${r.code}: ${(r.stderr || r.stdout).trim().split("\n").slice(-2).join(" | ").slice(0, 300)}`;
  }
  return undefined;
}

/** The README's resume procedure, run literally inside the container after the cause is fixed. */
const readmeResume = (step: string): FollowUp => ({
  name: "README resume procedure",
  run: async (ctx, setControl) => {
    setControl((control) => ({ ...control, serve: {} }));
    return runReadmeCommands(ctx, "resume.log", resumeCommands(readme(), step), 900);
  },
  checks: [c.completeInOrder, c.onePostback, c.bearerGone, c.pullSecretApplied, c.secretFilesGone("after the resume"), c.secretFilesPrivate],
});

/**
 * After a refused postback, the API is fixed (it now accepts the bearer) and
 * the README's by-hand re-send runs inside the container, the bearer pasted
 * on stdin as an operator would.
 */
const readmeResend: FollowUp = {
  name: "README re-send by hand",
  run: async (ctx, setControl) => {
    setControl((control) => ({
      ...control,
      api: control.api && { ...control.api, deployments: Object.fromEntries(Object.keys(control.api.deployments).map((id) => [id, ACCEPTS_PREVIEW_BEARER])) },
    }));
    return runReadmeCommands(ctx, "resend.log", resendCommands(readme()), 300, (command) =>
      command.includes("/dev/stdin") ? `${PREVIEW_SECRETS.kubeconfig_bearer_token}\n` : undefined,
    );
  },
  checks: [c.resentOnce, c.bearerGone],
};

/** The default set. */
export function defaultScenarios(): Scenario[] {
  return [
    {
      name: "first server (packages via mirror)",
      sovereign: "solo",
      server: "cp-1",
      role: "first-server",
      image: "base",
      checks: [
        ...everyServer(),
        c.ciliumValues,
        c.ccmInstalled,
        c.metadataPolicyApplied,
        c.orderBeforeFlux(),
        c.pullSecretApplied,
        c.onePostback,
        c.bearerGone,
        c.secretFilesGone("after the boot"),
        c.unfakedHostsUnresolvable,
        c.proxyRefusesOthers,
      ],
    },
    {
      name: "first server, postback off",
      sovereign: "ha",
      server: "cp-1",
      role: "first-server",
      image: "packages",
      checks: [...everyServer(), c.ciliumValues, c.ccmInstalled, c.metadataPolicyApplied, c.orderBeforeFlux(), c.pullSecretApplied, c.noPostback],
    },
    { name: "joining server", sovereign: "ha", server: "cp-2", role: "joining-server", image: "packages", checks: [...everyServer(), c.waitedForCacerts] },
    { name: "worker", sovereign: "ha", server: "worker-1", role: "agent", image: "packages", checks: [c.waitedForCacerts, ...everyServer()] },
    {
      name: "/cacerts never answers",
      sovereign: "ha",
      server: "worker-1",
      role: "agent",
      image: "packages",
      stepTimeoutSec: 20,
      control: (control) => ({ ...control, cacerts: "never" }),
      checks: [c.stepFailed("k3s", /deadline of 20s passed/), c.consoleSays(/catalyst-step: k3s: FAILED: deadline of 20s passed/), c.installerNeverFetched],
    },
    {
      name: "installer fails, then README resume",
      sovereign: "solo",
      server: "cp-1",
      role: "first-server",
      image: "packages",
      control: (control, site) => ({ ...control, serve: { [siteKey(DOWNLOADS.k3sInstaller(site.k3sVersion))]: path.join(FAKES_DIR, "k3s-install-fails.sh") } }),
      checks: [c.stepFailed("k3s", /exit status 1/), c.secretFilesGone("after the failure"), c.consoleSays(/catalyst-step: k3s: FAILED: exit status 1/)],
      followUp: readmeResume("k3s"),
    },
    {
      name: "postback refused (403 invalid-bearer)",
      sovereign: "solo",
      server: "cp-1",
      role: "first-server",
      image: "packages",
      control: (control) => ({
        ...control,
        api: control.api && {
          ...control.api,
          deployments: Object.fromEntries(Object.keys(control.api.deployments).map((id) => [id, { bearerSha256: "f".repeat(64) }])),
        },
      }),
      checks: [
        c.stepFailed("kubeconfig-postback", /exit status 1/),
        c.postbackRefused,
        c.bearerGone,
        c.secretFilesGone("after the failure"),
        c.consoleSays(/HTTP 403 \(error: invalid-bearer\); refused, not retrying/),
      ],
      followUp: readmeResend,
    },
    {
      name: "helm checksum mismatch",
      sovereign: "solo",
      server: "cp-1",
      role: "first-server",
      image: "packages",
      change: (doc, pinned) => {
        doc.versions.helm = { ...pinned.helm, sha256Amd64: "0".repeat(63) + "1", sha256Arm64: "0".repeat(63) + "1" };
      },
      checks: [c.stepFailed("cilium", /FAILED|exit status/), c.helmNeverRan, c.consoleSays(/helm\.tar\.gz: FAILED/)],
    },
  ];
}

/** The scenario for one server a user names: a plain boot with the checks of its role. */
export function serverScenario(sovereign: Sovereign, server: string, role: c.CheckContext["role"]): Scenario {
  const checks: Check[] = everyServer();
  if (role === "first-server") {
    checks.push(c.ciliumValues, c.metadataPolicyApplied, c.orderBeforeFlux());
    if (sovereign.cloudController !== "k3s") checks.push(c.ccmInstalled);
    checks.push(...(sovereign.postback ? [c.onePostback, c.bearerGone] : [c.noPostback]));
    if (sovereign.registry.pullSecret) checks.push(c.pullSecretApplied);
    checks.push(c.secretFilesGone("after the boot"));
  } else checks.push(c.waitedForCacerts);
  return { name: "boot", sovereign: sovereign.file, server, role, image: "packages", checks };
}
