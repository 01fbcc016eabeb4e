/**
 * The fake provisioning API's answers (the contract in SPEC.md): what a
 * PUT of a kubeconfig gets, decided from the request alone, so the
 * contract is testable without a server.
 */
import { createHash, timingSafeEqual } from "crypto";
import type { FakeDeployment } from "./fakes-control";

/** The API's limit on a kubeconfig. */
export const MAX_KUBECONFIG_BYTES = 1024 * 1024;

/** One request to the fake API. */
export interface ApiRequest {
  readonly method: string;
  readonly pathname: string;
  /** The Authorization header, if any. */
  readonly authorization?: string;
  readonly bodyBytes: number;
}

/** The answer: 204, or an error status with the contract's error code. */
export interface ApiAnswer {
  readonly status: number;
  readonly error?: string;
  /** The deployment whose kubeconfig a 204 stores. */
  readonly id?: string;
}

/** Decides the answer; `stored` holds the ids whose kubeconfig is already set. */
export function apiAnswer(req: ApiRequest, basePath: string, deployments: Readonly<Record<string, FakeDeployment>>, stored: ReadonlySet<string>): ApiAnswer {
  const m = new RegExp(`^${basePath.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/api/v1/deployments/([^/]+)/kubeconfig$`).exec(req.pathname);
  if (!m || req.method !== "PUT") return { status: 404, error: "not-found" };
  const id = m[1];
  const auth = /^Bearer ([^\s]+)$/.exec(req.authorization ?? "");
  if (!auth) return { status: 401, error: "missing-bearer" };
  const deployment = deployments[id];
  if (!deployment) return { status: 404, error: "not-found" };
  if (!deployment.bearerSha256) return { status: 403, error: "no-bearer-hash" };
  const given = createHash("sha256").update(auth[1]).digest();
  const expected = Buffer.from(deployment.bearerSha256, "hex");
  if (expected.length !== given.length || !timingSafeEqual(given, expected)) return { status: 403, error: "invalid-bearer" };
  if (stored.has(id)) return { status: 403, error: "already-set" };
  if (req.bodyBytes === 0) return { status: 422, error: "empty-body" };
  if (req.bodyBytes > MAX_KUBECONFIG_BYTES) return { status: 422, error: "body-too-large" };
  return { status: 204, id };
}
