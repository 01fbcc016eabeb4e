import { Fn, Token } from "cdktf";
import * as yaml from "js-yaml";
import { REGISTRY_SERVER } from "../config/defaults";
import type { Fragment } from "./cloud-config";
import type { BootInput } from "./boot-input";
import { PATHS } from "./paths";
import { base64 } from "./private/base64";

/** Name and namespace of the pull Secret the GitOps tree's HelmRepositories reference. */
export const PULL_SECRET = { name: "ghcr-pull", namespace: "flux-system" } as const;

/** A kubernetes.io/dockerconfigjson Secret. */
export interface DockerConfigSecret {
  readonly apiVersion: "v1";
  readonly kind: "Secret";
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly type: "kubernetes.io/dockerconfigjson";
  readonly data: { readonly ".dockerconfigjson": string };
}

/** `.dockerconfigjson`, base64: Terraform's jsonencode and base64encode, since the token exists only at apply. */
export function dockerConfigJson(username: string, token: string): string {
  if (Token.isUnresolved(token)) {
    return base64(Fn.jsonencode({ auths: { [REGISTRY_SERVER]: { username, password: token, auth: base64(Fn.join(":", [username, token])) } } }));
  }
  // Stand-in values (size budget, tests): the same encoding, computed here.
  return base64(JSON.stringify({ auths: { [REGISTRY_SERVER]: { auth: base64(`${username}:${token}`), password: token, username } } }));
}

/** The pull Secret manifest. */
export function pullSecret(input: BootInput): DockerConfigSecret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { ...PULL_SECRET },
    type: "kubernetes.io/dockerconfigjson",
    data: { ".dockerconfigjson": dockerConfigJson(input.sovereign.registry.username, input.runtime.ghcrPullToken) },
  };
}

/**
 * First server only, unless registry.pullSecret is false: the ghcr.io pull
 * Secret, applied before the Flux objects that need it. Its file (0600,
 * base64-delivered) is the step's secret file: the step runner deletes it
 * once the step succeeded, or at once when any step fails.
 */
export function pullSecretStep(input: BootInput): Fragment | undefined {
  if (!input.sovereign.registry.pullSecret) return undefined;
  return {
    step: "pull-secret",
    files: [{ path: PATHS.pullSecret, content: yaml.dump(pullSecret(input), { lineWidth: -1 }), permissions: "0600", runtime: true, removeOnFailure: true }],
    command: ["k3s", "kubectl", "--kubeconfig", PATHS.k3sKubeconfig, "apply", "-f", PATHS.pullSecret],
  };
}
