/**
 * The rehearsal's Sovereign files and their user data. Each file is copied
 * with a `versions` block that pins the fake archives (plus a scenario's
 * own changes, like a wrong checksum), then evaluated by the code path of
 * `npm run preview`.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { EvaluationError } from "../evaluate-user-data";
import { PreviewedStack, previewUserData } from "../preview-user-data";
import { fileStem, filesNamed, listSovereignFiles, loadSovereignFile, Sovereign } from "../../config/load";
import { ROOT } from "./root";
import type { PinnedVersions } from "./site";

/** The rehearsal set's files. */
export const REHEARSAL_SOVEREIGNS = path.join(ROOT, "rehearsal", "sovereigns");
/** The shipped example, where a fresh clone keeps its only Sovereign file. */
export const EXAMPLES = path.join(ROOT, "examples");

/** Finds a Sovereign file in the first of `dirs` that has one named `name`, as SOVEREIGN selects (file name without .yaml, or stack name). */
export function findSovereignFile(name: string, dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    const [file] = filesNamed(listSovereignFiles(dir), name);
    if (file) return file;
  }
  return undefined;
}

/**
 * Every server's user data of `file` with the fakes pinned in `versions`
 * (and `change` applied to the document), as `npm run preview` evaluates it,
 * and the Sovereign of the copy that was evaluated.
 */
export function rehearsalUserData(file: string, versions: PinnedVersions, change?: (doc: Record<string, any>) => void): PreviewedStack & { sovereign: Sovereign } {
  const doc = yaml.load(fs.readFileSync(file, "utf8")) as Record<string, any>;
  doc.versions = { ...(doc.versions ?? {}), ...JSON.parse(JSON.stringify(versions)) };
  change?.(doc);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rehearse-sovereigns-"));
  try {
    const copy = path.join(dir, path.basename(file));
    fs.writeFileSync(copy, yaml.dump(doc, { lineWidth: -1 }));
    const previewed = previewUserData(fileStem(file), dir);
    if (typeof previewed === "number") throw new EvaluationError(`${file}: synthesis failed (see above)`);
    return { ...previewed, sovereign: loadSovereignFile(copy) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
