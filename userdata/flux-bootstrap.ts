import * as yaml from "js-yaml";
import type { Sovereign } from "../config/load";
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
    /** Flux replaces `${NAME}` in the built manifests with these values. */
    readonly postBuild?: { readonly substitute: Readonly<Record<string, string>> };
  };
}

/** The shared tree of the template layout. */
export const TEMPLATE_CLUSTER_DIR = "clusters/_template";

/** The cluster's directory in the GitOps repository, by the Sovereign's layout. */
export function gitopsClusterDir(s: Pick<Sovereign, "fqdn" | "gitops">): string {
  return s.gitops.layout === "template" ? TEMPLATE_CLUSTER_DIR : `clusters/${s.fqdn}`;
}

/**
 * What the template layout's manifests may use as `${NAME}`. Only values
 * that are DNS names or fixed words: Flux pastes them into YAML as they are,
 * so free text (the org name) could change the manifest it lands in.
 */
export function templateVariables(s: Pick<Sovereign, "fqdn" | "subdomain" | "location">): Record<string, string> {
  return {
    SOVEREIGN_FQDN: s.fqdn,
    SOVEREIGN_SUBDOMAIN: s.subdomain,
    SOVEREIGN_LOCATION: s.location,
  };
}

/**
 * The GitRepository and the two Kustomizations that hand the cluster to
 * GitOps. Template layout: both Kustomizations build the shared
 * clusters/_template tree with this Sovereign's values substituted; the
 * reference's per-FQDN paths stalled every fresh Sovereign with "kustomization
 * path not found", since nobody commits clusters/<fqdn> before provisioning.
 * Per-FQDN layout: clusters/<fqdn>, no substitution (a tree not written for
 * it may hold literal `${...}`, which Flux would replace).
 */
export function fluxBootstrapObjects(input: BootInput): [GitRepository, Kustomization, Kustomization] {
  const s = input.sovereign;
  const clusterDir = gitopsClusterDir(s);
  const postBuild = s.gitops.layout === "template" ? { postBuild: { substitute: templateVariables(s) } } : {};
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
      ...postBuild,
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
        // Only the cluster's tree and the shared trees it builds on.
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
