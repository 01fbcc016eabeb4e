/**
 * Renders a CloudConfig to the string Terraform hands the server, once,
 * with js-yaml.
 *
 * Two layers must both be exact for any value:
 * - YAML: js-yaml quotes every scalar that needs it. It decides on the text
 *   it sees, and for a cdktf token that is a placeholder, not the runtime
 *   value; so token-bearing file contents are delivered base64-encoded
 *   (Terraform computes base64encode at apply), never as raw YAML scalars.
 * - Terraform: the rendered string lands in JSON where `${` and `%{` start
 *   template syntax and cdktf does not escape literal text. Every literal
 *   fragment is escaped (`$${`, `%%{`); tokens stay as they are.
 */
import { Token } from "cdktf";
import * as yaml from "js-yaml";
import { gzipSync } from "zlib";
import type { CloudConfig, WriteFile } from "./cloud-config";
import { base64 } from "./private/base64";

const TOKEN_START = "${TfToken[";
const TOKEN_END = "]}";

/** Splits a string into literal text and cdktf string tokens, in order. */
export function splitTokens(text: string): { literal: boolean; text: string }[] {
  const parts: { literal: boolean; text: string }[] = [];
  let at = 0;
  while (at < text.length) {
    const start = text.indexOf(TOKEN_START, at);
    const end = start < 0 ? -1 : text.indexOf(TOKEN_END, start + TOKEN_START.length);
    if (start < 0 || end < 0) {
      parts.push({ literal: true, text: text.slice(at) });
      break;
    }
    if (start > at) parts.push({ literal: true, text: text.slice(at, start) });
    parts.push({ literal: false, text: text.slice(start, end + TOKEN_END.length) });
    at = end + TOKEN_END.length;
  }
  return parts;
}

/** Escapes Terraform template syntax in the literal parts of a string; tokens untouched. */
export function escapeTerraformTemplate(text: string): string {
  return splitTokens(text)
    .map((part) => (part.literal ? part.text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{") : part.text))
    .join("");
}

/** A step put a cdktf token into a file not marked `runtime`. */
export class UnmarkedRuntimeValueError extends Error {
  constructor(path: string) {
    super(`${path}: content carries a value known only at apply time but the file is not marked runtime: mark it so it is delivered base64-encoded`);
    this.name = "UnmarkedRuntimeValueError";
  }
}

/**
 * Turns a token-bearing string (already escaped for Terraform templates)
 * into a single token Terraform evaluates, such as a local value. Terraform
 * functions then take it whole, so cdktf never has to quote literal text
 * inside a function call.
 */
export type Materialize = (escapedContent: string, path: string) => string;

/** Options of {@link renderCloudConfig}. */
export interface RenderOptions {
  /** Required when any runtime file carries tokens. */
  readonly materialize?: Materialize;
}

// Every server carries the same scripts: compress each text once per process.
const compressedCache = new Map<string, string>();

/** gzip (level 9, no timestamp: the same input always gives the same bytes), base64. */
function compressed(text: string): string {
  let value = compressedCache.get(text);
  if (value === undefined) {
    value = gzipSync(Buffer.from(text, "utf8"), { level: 9 }).toString("base64");
    compressedCache.set(text, value);
  }
  return value;
}

/** A file as it goes into the document: runtime content base64-encoded. */
function renderFile(file: WriteFile, options: RenderOptions): Record<string, unknown> {
  const tokens = Token.isUnresolved(file.content);
  if (tokens && !file.runtime) throw new UnmarkedRuntimeValueError(file.path);
  let content: Record<string, unknown> = { content: file.content };
  if (file.compress) {
    if (file.runtime) throw new Error(`${file.path}: runtime content cannot be compressed (Terraform would have to gzip it)`);
    content = { encoding: "gz+b64", content: compressed(file.content) };
  } else if (file.runtime) {
    if (tokens && !options.materialize) throw new Error(`${file.path}: rendering values known only at apply time needs a materialize function`);
    // With tokens, Terraform evaluates the content (a template string in JSON),
    // then encodes it; stand-in literals (size budget, tests) are encoded here.
    content = { encoding: "b64", content: base64(tokens ? options.materialize!(escapeTerraformTemplate(file.content), file.path) : file.content) };
  }
  return {
    path: file.path,
    // cloud-init's default owner is root:root; saying so costs bytes on every file.
    ...(file.owner && file.owner !== "root:root" ? { owner: file.owner } : {}),
    permissions: file.permissions,
    ...content,
    ...(file.defer ? { defer: true } : {}),
  };
}

/** Header cloud-init requires on the first line. */
export const CLOUD_CONFIG_HEADER = "#cloud-config\n";

/** The `#cloud-config` document, escaped for Terraform; may carry tokens. */
export function renderCloudConfig(config: CloudConfig, options: RenderOptions = {}): string {
  const document = {
    package_update: config.package_update,
    package_upgrade: config.package_upgrade,
    packages: config.packages,
    write_files: config.write_files.map((file) => renderFile(file, options)),
    runcmd: config.runcmd,
    final_message: config.final_message,
  };
  const body = yaml.dump(document, {
    lineWidth: -1, // never fold: a folded scalar is harder to diff and to read
    noRefs: true,
    noArrayIndent: true, // two bytes less on every script line; user data is capped
    quotingType: "'",
  });
  return escapeTerraformTemplate(CLOUD_CONFIG_HEADER + body);
}

/**
 * An upper bound, without rendering it, of the bytes of `worst`'s document,
 * given `real` and the bytes of its rendered document; undefined when no
 * bound follows (then render `worst`). `worst` is the same node's config
 * with other runtime values (such as RUNTIME_STAND_INS_MAX). The bound
 * holds when the two differ only in the content of runtime files: the rest
 * renders to the same text in both, a runtime file's content renders as
 * one base64 scalar (plain, or single-quoted where YAML would read it as
 * something else: at most 2 bytes more), and the real document's own
 * runtime scalars take at least 0 bytes. Costs a comparison instead of a
 * second js-yaml pass over the whole document.
 */
export function worstCaseBytesBound(real: CloudConfig, realBytes: number, worst: CloudConfig): number | undefined {
  if (real.write_files.length !== worst.write_files.length) return undefined;
  let extra = 0;
  for (let i = 0; i < worst.write_files.length; i++) {
    const file = worst.write_files[i];
    if (!file.runtime || !real.write_files[i].runtime) continue;
    if (Token.isUnresolved(file.content)) return undefined;
    extra += 4 * Math.ceil(Buffer.byteLength(file.content, "utf8") / 3) + 2;
  }
  return sameOutsideRuntimeContent(real, worst) ? realBytes + extra : undefined;
}

/** True when the configs are equal once runtime files' contents are left out. */
function sameOutsideRuntimeContent(a: CloudConfig, b: CloudConfig): boolean {
  const withoutRuntimeContent = (config: CloudConfig) =>
    JSON.stringify({ ...config, write_files: config.write_files.map((file) => (file.runtime ? { ...file, content: "" } : file)) });
  return withoutRuntimeContent(a) === withoutRuntimeContent(b);
}
