import type { Fragment } from "./cloud-config";
import type { BootInput } from "./boot-input";
import { DEADLINES } from "./paths";
import { kubectlUntil } from "./private/kubectl-until";

/** The StorageClass of k3s's local-path provisioner (k3s's manifests/local-storage.yaml). */
export const LOCAL_PATH_STORAGE_CLASS = "local-path";
/** The annotation that makes a StorageClass the cluster's default. */
export const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";

/**
 * First server only, when k3s keeps its local-path provisioner
 * (k3s.localStorage, the default): before the Flux bootstrap, waits with a
 * deadline for the `local-path` StorageClass object and marks it the
 * default class. The bootstrap kit's HelmReleases carry PVCs without a
 * storageClassName that wait for a default class; with none, the kit
 * deadlocked on the reference's clusters.
 *
 * `kubectl annotate` answers NotFound until k3s's deploy controller has
 * created the class (seconds after k3s starts), so retrying it is the wait.
 * It waits for an API object, never for a pod: no pod can be Ready before
 * Cilium runs. k3s's packaged manifest already carries the annotation; the
 * step makes the default explicit whatever the pinned k3s ships.
 *
 * Without localStorage there is no step: the GitOps tree must then provide
 * a default StorageClass (for example Hetzner's CSI driver) before anything
 * claims a volume.
 */
export function defaultStorageClassStep(input: BootInput): Fragment | undefined {
  if (!input.sovereign.k3s.localStorage) return undefined;
  return kubectlUntil("default-storage-class", DEADLINES.storageClassSec, [
    "annotate",
    "--overwrite",
    "storageclass",
    LOCAL_PATH_STORAGE_CLASS,
    `${DEFAULT_CLASS_ANNOTATION}=true`,
  ]);
}
