// `npm run preview -- <stack or file name> [server]`: prints the exact cloud-init each
// server of a stack receives, as Terraform evaluates it at apply, with
// stand-ins for the load balancer IP, the cluster token and the secrets
// (never real ones: this is for reading, not for deploying).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runApp } from "../app";
import { EvaluationError, STAND_INS, evaluateUserData, readSynthesisedStack } from "./evaluate-user-data";

/** Placeholder secrets that pass the variables' validation. */
export const PREVIEW_SECRETS = {
  hcloud_token: "PREVIEW".padEnd(64, "0"),
  ghcr_pull_token: "ghp_PREVIEW00000000000000000000000000000",
  kubeconfig_bearer_token: "0".repeat(64),
};

function main(argv: string[]): number {
  const [name, server] = argv;
  if (!name || name.startsWith("-")) {
    process.stderr.write("usage: npm run preview -- <stack or file name> [server]\n");
    return 2;
  }
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "preview-"));
  try {
    // Selects as SOVEREIGN does: a file name without .yaml, or a stack name.
    const result = runApp({ sovereignsDir: process.env.SOVEREIGNS_DIR, only: name, outdir, stdout: () => undefined });
    if (result.code !== 0) return result.code;
    const stack = result.stacks[0].name;
    const evaluated = evaluateUserData([readSynthesisedStack(outdir, stack)], PREVIEW_SECRETS);
    const chosen = server ? evaluated.filter((e) => e.server === server || e.server.endsWith(`-${server}`)) : evaluated;
    if (chosen.length === 0) {
      process.stderr.write(`no server ${server} in ${stack}; servers: ${evaluated.map((e) => e.server).join(", ")}\n`);
      return 2;
    }
    process.stderr.write(`stand-ins: load balancer ${STAND_INS["hcloud_load_balancer.ipv4"]}, placeholder secrets\n`);
    for (const e of chosen) {
      if (chosen.length > 1) process.stdout.write(`# ===== ${e.server} (${Buffer.byteLength(e.userData)} bytes) =====\n`);
      process.stdout.write(e.userData.endsWith("\n") ? e.userData : `${e.userData}\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof EvaluationError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

process.exitCode = main(process.argv.slice(2));
