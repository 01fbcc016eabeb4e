/**
 * The user data `npm run preview` prints: synthesise one Sovereign, then let
 * Terraform evaluate every server's user_data with stand-ins for resource
 * attributes and placeholder secrets. `npm run rehearse` boots exactly this
 * text, so there is one renderer.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runApp } from "../app";
import { EvaluatedServer, evaluateUserData, readSynthesisedStack } from "./evaluate-user-data";

/** Placeholder secrets that pass the variables' validation. */
export const PREVIEW_SECRETS = {
  hcloud_token: "PREVIEW".padEnd(64, "0"),
  ghcr_pull_token: "ghp_PREVIEW00000000000000000000000000000",
  kubeconfig_bearer_token: "0".repeat(64),
};

/** One stack's evaluated servers. */
export interface PreviewedStack {
  readonly stack: string;
  readonly servers: EvaluatedServer[];
}

/**
 * Every server's evaluated user data of the Sovereign `name` (a file name
 * without .yaml, or a stack name, as SOVEREIGN selects), or the exit status
 * of a synthesis that failed (its problems are already on stderr).
 * Throws EvaluationError when Terraform refuses the configuration.
 */
export function previewUserData(name: string, sovereignsDir?: string): PreviewedStack | number {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "preview-"));
  try {
    const result = runApp({ sovereignsDir, only: name, outdir, stdout: () => undefined });
    if (result.code !== 0) return result.code;
    const stack = result.stacks[0].name;
    return { stack, servers: evaluateUserData([readSynthesisedStack(outdir, stack)], PREVIEW_SECRETS) };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** The servers of `evaluated` a user means by `server`: its full name or its suffix (cp-1, worker-2). */
export function chooseServers(evaluated: readonly EvaluatedServer[], server: string | undefined): EvaluatedServer[] {
  return server ? evaluated.filter((e) => e.server === server || e.server.endsWith(`-${server}`)) : [...evaluated];
}
