import type { Fragment } from "./cloud-config";
import type { BootInput } from "./boot-input";
import { PATHS } from "./paths";

/** /var/lib/catalyst/sovereign.json, with the reference's keys, which consumers read. */
export interface SovereignJson {
  readonly sovereignFQDN: string;
  readonly sovereignSubdomain: string;
  readonly orgName: string;
  readonly orgEmail: string;
  readonly region: string;
  readonly haEnabled: boolean;
  readonly workerCount: number;
  readonly k3sVersion: string;
  readonly gitopsRepoUrl: string;
  readonly gitopsBranch: string;
}

/** The Sovereign's identity, as JSON, on every server. */
export function sovereignJson(input: BootInput): SovereignJson {
  const s = input.sovereign;
  return {
    sovereignFQDN: s.fqdn,
    sovereignSubdomain: s.subdomain,
    orgName: s.org.name,
    orgEmail: s.org.email,
    region: s.location,
    haEnabled: s.controlPlane.ha,
    workerCount: s.workers.count,
    k3sVersion: input.versions.k3s,
    gitopsRepoUrl: s.gitops.repoUrl,
    gitopsBranch: s.gitops.branch,
  };
}

/** Writes sovereign.json. */
export function sovereignJsonStep(input: BootInput): Fragment {
  return {
    step: "sovereign-json",
    files: [{ path: PATHS.sovereignJson, content: `${JSON.stringify(sovereignJson(input), null, 2)}\n`, permissions: "0644" }],
  };
}
