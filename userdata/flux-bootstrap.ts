import * as yaml from "js-yaml";
import type { Fragment } from "./cloud-config";
import type { BootInput } from "./boot-input";
import { PATHS } from "./paths";

/** Name of the GitRepository all Kustomizations use. */
export const GIT_REPOSITORY_NAME = "openova";
const NAMESPACE = "flux-system";

/** Flux GitRepository (source.toolkit.fluxcd.io/v1). */
export interface GitRepository {
  readonly apiVersion: "source.toolkit.fluxcd.io/v1";
  readonly kind: "GitRepository";
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly spec: { readonly interval: string; readonly url: string; readonly ref: { readonly branch: string }; readonly ignore: string };
}

/** Flux Kustomization (kustomize.toolkit.fluxcd.io/v1). */
export interface Kustomization {
  readonly apiVersion: "kustomize.toolkit.fluxcd.io/v1";
  readonly kind: "Kustomization";
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly spec: {
    readonly interval: string;
    readonly path: string;
    readonly prune: boolean;
    readonly sourceRef: { readonly kind: "GitRepository"; readonly name: string };
    readonly dependsOn?: readonly { readonly name: string }[];
    readonly wait: boolean;
    readonly timeout: string;
  };
}

/** The GitRepository and the two Kustomizations that hand the cluster to GitOps. */
export function fluxBootstrapObjects(input: BootInput): [GitRepository, Kustomization, Kustomization] {
  const s = input.sovereign;
  const clusterDir = `clusters/${s.fqdn}`;
  const kustomization = (name: string, path: string, dependsOn?: string): Kustomization => ({
    apiVersion: "kustomize.toolkit.fluxcd.io/v1",
    kind: "Kustomization",
    metadata: { name, namespace: NAMESPACE },
    spec: {
      interval: "5m",
      path,
      prune: true,
      sourceRef: { kind: "GitRepository", name: GIT_REPOSITORY_NAME },
      ...(dependsOn ? { dependsOn: [{ name: dependsOn }] } : {}),
      wait: true,
      timeout: "30m",
    },
  });
  return [
    {
      apiVersion: "source.toolkit.fluxcd.io/v1",
      kind: "GitRepository",
      metadata: { name: GIT_REPOSITORY_NAME, namespace: NAMESPACE },
      spec: {
        interval: "1m",
        url: s.gitops.repoUrl,
        ref: { branch: s.gitops.branch },
        // Only this Sovereign's cluster directory and the shared trees.
        ignore: ["/*", `!/${clusterDir}`, "!/platform", "!/products"].join("\n") + "\n",
      },
    },
    kustomization("bootstrap-kit", `./${clusterDir}/bootstrap-kit`),
    kustomization("infrastructure-config", `./${clusterDir}/infrastructure`, "bootstrap-kit"),
  ];
}

/** First server only: apply the Flux bootstrap objects, after the pull Secret. */
export function fluxBootstrapStep(input: BootInput): Fragment {
  const content = fluxBootstrapObjects(input)
    .map((doc) => yaml.dump(doc, { lineWidth: -1, noRefs: true }))
    .join("---\n");
  return {
    step: "flux-bootstrap",
    // Compressed: the largest plain file of the first server's capped user data.
    files: [{ path: PATHS.fluxBootstrap, content, permissions: "0644", compress: true }],
    command: ["k3s", "kubectl", "--kubeconfig", PATHS.k3sKubeconfig, "apply", "-f", PATHS.fluxBootstrap],
  };
}
