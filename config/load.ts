/**
 * Reads Sovereign files and turns them into validated Sovereigns, or one
 * SovereignFileError carrying every problem of every file.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import type * as z from "zod";
import { defaultServerType } from "./defaults";
import { SovereignFileError, SovereignFileProblem } from "./errors";
import { SovereignFile, sovereignFileSchema } from "./sovereign-schema";

/** A validated Sovereign: the file's values with defaults, plus derived names. */
export interface Sovereign extends Omit<SovereignFile, "controlPlane" | "workers"> {
  readonly controlPlane: { readonly serverType: string; readonly ha: boolean };
  readonly workers: { readonly serverType: string; readonly count: number };
  /** The file it came from. */
  readonly file: string;
  /** Subdomain as given, or the first label of the FQDN. */
  readonly subdomain: string;
  /** Terraform stack name: the FQDN with dots replaced by dashes. */
  readonly stackName: string;
  /** Resource name prefix: `catalyst-<stackName>`. */
  readonly namePrefix: string;
}

/** The Terraform variables that hold what must never be written in a Sovereign file. */
export const SECRET_VARIABLES = {
  hcloud: "TF_VAR_hcloud_token",
  ghcr: "TF_VAR_ghcr_pull_token",
  bearer: "TF_VAR_kubeconfig_bearer_token",
} as const;

const SECRET_KEY = /token|passw|secret|bearer|api[-_]?key|private[-_]?key|credential/i;

/** Parses and validates one Sovereign file's text. Throws SovereignFileError. */
export function parseSovereign(text: string, file: string): Sovereign {
  let data: unknown;
  try {
    data = yaml.load(text, { filename: file, schema: yaml.CORE_SCHEMA });
  } catch (err) {
    const e = err as yaml.YAMLException;
    const where = e.mark ? `line ${e.mark.line + 1}, column ${e.mark.column + 1}` : "";
    const reason = (e.reason ?? e.message).replace(/^duplicated mapping key$/, "duplicate key (each key may appear once per mapping)");
    throw new SovereignFileError([{ file, path: "", message: `not valid YAML${where ? ` at ${where}` : ""}: ${reason}` }]);
  }
  if (data === null || data === undefined || typeof data !== "object" || Array.isArray(data)) {
    throw new SovereignFileError([{ file, path: "", message: "must be a YAML mapping of Sovereign fields (fqdn, org, location, ssh, …); see sovereigns/example.yaml" }]);
  }

  const problems: SovereignFileProblem[] = [];
  const secretPaths = new Set<string>();
  scan(data, [], {
    secretKey(segments) {
      const p = formatPath(segments);
      secretPaths.add(p);
      problems.push({ file, path: p, message: `secrets never go in a Sovereign file (it lives in git); remove it and set ${secretVariableFor(p)} when deploying` });
    },
    // cdktf encodes its unresolved values as ${TfToken[...]} inside strings; a
    // value that looks like one would be taken for one. No real value needs it.
    string(segments, value) {
      if (/[$#&]\{TfToken\[/.test(value)) {
        problems.push({ file, path: formatPath(segments), message: "must not contain the text {TfToken[ (reserved by cdktf for its own placeholders)" });
      }
    },
  });

  const result = sovereignFileSchema.safeParse(data);
  if (!result.success) {
    for (const issue of result.error.issues) {
      for (const problem of describeIssue(issue, data)) {
        if (!secretPaths.has(problem.path)) problems.push({ file, ...problem });
      }
    }
  }
  if (problems.length > 0) throw new SovereignFileError(problems);

  const value = result.data!;
  const stackName = value.fqdn.replace(/\./g, "-");
  return {
    ...value,
    // Defaults that depend on the location (cx and cax exist only in the EU).
    controlPlane: { ...value.controlPlane, serverType: value.controlPlane.serverType ?? defaultServerType(value.location, "controlPlane") },
    workers: { ...value.workers, serverType: value.workers.serverType ?? defaultServerType(value.location, "workers") },
    file,
    subdomain: value.subdomain ?? value.fqdn.split(".")[0],
    stackName,
    namePrefix: `catalyst-${stackName}`,
  };
}

/** Lists the Sovereign files (*.yaml, *.yml) of a directory, sorted. */
export function listSovereignFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    throw new SovereignFileError([{ file: dir, path: "", message: "cannot read the Sovereigns directory (set SOVEREIGNS_DIR to a directory of *.yaml files)" }]);
  }
  return entries.filter((name) => /\.ya?ml$/.test(name)).sort().map((name) => path.join(dir, name));
}

/**
 * Loads Sovereign files; with `only`, just the one whose file stem or stack
 * name equals it. Every problem of every file is reported together; no
 * Sovereign is returned unless all are valid and their stack names unique.
 */
export function loadSovereigns(dir: string, only?: string): Sovereign[] {
  const files = listSovereignFiles(dir);
  if (files.length === 0) {
    throw new SovereignFileError([{ file: dir, path: "", message: "holds no Sovereign files (*.yaml); copy sovereigns/example.yaml to start one" }]);
  }
  let selected = files;
  if (only) {
    const byStem = files.filter((f) => path.basename(f).replace(/\.ya?ml$/, "") === only);
    selected = byStem.length > 0 ? byStem : files;
  }

  const problems: SovereignFileProblem[] = [];
  const sovereigns: Sovereign[] = [];
  for (const file of selected) {
    try {
      sovereigns.push(parseSovereign(fs.readFileSync(file, "utf8"), file));
    } catch (err) {
      if (err instanceof SovereignFileError) problems.push(...err.problems);
      else throw err;
    }
  }

  const seen = new Map<string, string>();
  for (const s of sovereigns) {
    const other = seen.get(s.stackName);
    if (other) problems.push({ file: s.file, path: "fqdn", message: `gives stack name ${s.stackName}, which ${other} already uses; every Sovereign needs its own FQDN` });
    else seen.set(s.stackName, s.file);
  }
  if (problems.length > 0) throw new SovereignFileError(problems);

  if (only) {
    const match = sovereigns.filter((s) => s.stackName === only || path.basename(s.file).replace(/\.ya?ml$/, "") === only);
    if (match.length === 0) {
      throw new SovereignFileError([{ file: dir, path: "", message: `has no Sovereign named ${JSON.stringify(only)} (SOVEREIGN selects by file name without .yaml or by stack name); known: ${sovereigns.map((s) => s.stackName).join(", ")}` }]);
    }
    return match;
  }
  return sovereigns;
}

type Segments = (string | number)[];

/** One walk over the parsed file: token-like keys the format does not define, and every string. */
function scan(node: unknown, segments: Segments, report: { secretKey(segments: Segments): void; string(segments: Segments, value: string): void }): void {
  if (typeof node === "string") report.string(segments, node);
  else if (Array.isArray(node)) node.forEach((item, i) => scan(item, [...segments, i], report));
  else if (node && typeof node === "object") {
    // Keys the format defines (registry.pullSecret) are never secrets.
    const known = allowedKeysAt(segments, node as Record<string, unknown>);
    for (const [key, value] of Object.entries(node)) {
      if (SECRET_KEY.test(key) && !known.includes(key)) report.secretKey([...segments, key]);
      else scan(value, [...segments, key], report);
    }
  }
}

function secretVariableFor(fieldPath: string): string {
  if (/hcloud|hetzner/i.test(fieldPath)) return SECRET_VARIABLES.hcloud;
  if (/ghcr|registry|pull/i.test(fieldPath)) return SECRET_VARIABLES.ghcr;
  if (/bearer|kubeconfig|postback/i.test(fieldPath)) return SECRET_VARIABLES.bearer;
  return `the matching variable (${Object.values(SECRET_VARIABLES).join(", ")})`;
}

/** `workers.count`, `ssh.allowedCidrs[1]`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  return segments
    .map((segment, i) => (typeof segment === "number" ? `[${segment}]` : i === 0 ? String(segment) : `.${String(segment)}`))
    .join("");
}

function valueAt(data: unknown, segments: readonly PropertyKey[]): { found: boolean; value?: unknown } {
  let node: unknown = data;
  for (const segment of segments) {
    if (node === null || typeof node !== "object" || !(segment in (node as object))) return { found: false };
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return { found: true, value: node };
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${shown(value)}`;
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown): { path: string; message: string }[] {
  const at = valueAt(data, issue.path);
  if (issue.code === "unrecognized_keys") {
    const parent = valueAt(data, issue.path).value as Record<string, unknown>;
    const allowed = allowedKeysAt(issue.path, parent);
    return issue.keys.map((key) => {
      const hint = closest(key, allowed);
      return {
        path: formatPath([...issue.path, key]),
        message: `is not a known field${hint ? ` (did you mean ${hint}?)` : ""}; allowed here: ${allowed.join(", ")}`,
      };
    });
  }
  if (!at.found || at.value === undefined) {
    return [{ path: formatPath(issue.path), message: "is required" }];
  }
  if (issue.code === "invalid_type") {
    return [{ path: formatPath(issue.path), message: `${issue.message} (got ${typeName(at.value)})` }];
  }
  return [{ path: formatPath(issue.path), message: `${issue.message} (got ${shown(at.value)})` }];
}

function allowedKeysAt(segments: readonly PropertyKey[], parent: Record<string, unknown>): string[] {
  // Walk the schema's shape alongside the path to list the keys allowed there.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let schema: any = sovereignFileSchema;
  for (const segment of segments) {
    schema = unwrap(schema);
    if (schema?.def?.type === "union" || schema?.def?.type === "discriminatedUnion" || Array.isArray(schema?.def?.options)) {
      schema = pickUnionMember(schema, parent);
    }
    schema = schema?.shape?.[segment as string] ?? schema?.def?.element;
  }
  schema = unwrap(schema);
  if (Array.isArray(schema?.def?.options)) schema = pickUnionMember(schema, parent);
  return schema?.shape ? Object.keys(schema.shape).filter((k) => k !== "$schema") : [];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function unwrap(schema: any): any {
  let s = schema;
  while (s?.def?.innerType) s = s.def.innerType;
  return s;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function pickUnionMember(schema: any, parent: Record<string, unknown>): any {
  const options = schema.def.options as { shape?: Record<string, { def?: { values?: unknown[] } }> }[];
  return options.find((o) => o.shape?.backend?.def?.values?.includes(parent?.backend)) ?? options[0];
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
