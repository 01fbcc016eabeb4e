/**
 * Turning a Sovereign file's bytes into plain data, safely: a size bound,
 * UTF-8 only, YAML without anchors or aliases (a file of nested aliases
 * expands exponentially in everything that walks the result), and syntax
 * errors shown as the offending line with a caret under the real position.
 */
import * as yaml from "js-yaml";

/** Largest Sovereign file read; the example is about 1 KiB. */
export const MAX_SOVEREIGN_FILE_BYTES = 64 * 1024;

/** What is wrong with a file as a whole; the loader adds the file name. */
export class SourceProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SourceProblem";
  }
}

/** The size check, before a byte is read. */
export function checkSourceSize(bytes: number): void {
  if (bytes > MAX_SOVEREIGN_FILE_BYTES) {
    throw new SourceProblem(`is ${bytes} bytes; a Sovereign file is at most ${MAX_SOVEREIGN_FILE_BYTES / 1024} KiB (the example is about 1 KiB), so this is not one`);
  }
}

/** UTF-8 text of a file's bytes (a UTF-8 byte-order mark is dropped). */
export function decodeSource(bytes: Uint8Array): string {
  checkSourceSize(bytes.length);
  const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
  if (utf16 || bytes.includes(0)) {
    throw new SourceProblem(`is not UTF-8 text (${utf16 ? "it starts with a UTF-16 byte-order mark" : "it contains NUL bytes, as UTF-16 text does"}); save it as UTF-8`);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new SourceProblem(`is not UTF-8 text (invalid byte 0x${bytes[at].toString(16).padStart(2, "0")} at offset ${at}); save it as UTF-8`);
  }
}

/**
 * Parses YAML 1.2 core-schema text; throws SourceProblem for anchors,
 * aliases, duplicate keys and syntax errors, with line, column and caret.
 */
export function parseYamlSource(text: string, file: string): unknown {
  if (text.length > MAX_SOVEREIGN_FILE_BYTES) checkSourceSize(Buffer.byteLength(text, "utf8"));
  try {
    return yaml.load(text, {
      filename: file,
      schema: yaml.CORE_SCHEMA,
      // Called as each node closes. An anchored node closes before any alias
      // can refer to it (except from inside itself), and an alias node is the
      // only one that closes with no kind but a value: refusing both here
      // stops a bomb before anything walks its expansion.
      listener(event, state) {
        if (event !== "close") return;
        // js-yaml's loader state; its typings omit the anchor.
        const node = state as unknown as { anchor: string | null; kind: string | null; result: unknown; position: number };
        if (node.anchor !== null && node.anchor !== undefined) throw new RefusedFeature("anchor", text.lastIndexOf(`&${node.anchor}`, node.position));
        if (node.kind === null && node.result !== null && node.result !== undefined) throw new RefusedFeature("alias", text.lastIndexOf("*", node.position));
      },
    });
  } catch (err) {
    if (err instanceof RefusedFeature) {
      const { line, column } = lineAndColumn(text, Math.max(0, err.offset));
      throw new SourceProblem(
        `not accepted YAML at line ${line + 1}, column ${column + 1}: anchors (&name) and aliases (*name) are not allowed in a Sovereign file; write each value out\n${snippet(text, line, column)}`,
      );
    }
    if (err instanceof yaml.YAMLException) throw new SourceProblem(describeYamlError(text, err));
    throw err;
  }
}

class RefusedFeature extends Error {
  constructor(
    public readonly what: "anchor" | "alias",
    public readonly offset: number,
  ) {
    super(what);
  }
}

function describeYamlError(text: string, err: yaml.YAMLException): string {
  const reason = (err.reason ?? err.message).replace(/^duplicated mapping key$/, "duplicate key (each key may appear once per mapping)");
  if (!err.mark) return `not valid YAML: ${reason}`;
  const { line, column } = err.mark;
  // A quote left open swallows the following lines until the next quote, so
  // YAML reports a later, unrelated place; the open quote is the real fault.
  const open = unclosedQuote(text, line);
  if (open && (open.line < line || reason.includes("quoted scalar"))) {
    return (
      `not valid YAML at line ${open.line + 1}, column ${open.column + 1}: this ${open.quote === '"' ? "double" : "single"} quote is never closed on its line ` +
      `(YAML read on to line ${line + 1}, column ${column + 1}, and stopped: ${reason}); close it, or drop the quotes\n${snippet(text, open.line, open.column)}`
    );
  }
  return `not valid YAML at line ${line + 1}, column ${column + 1}: ${reason}\n${snippet(text, line, column)}`;
}

/**
 * The first quote, at most on line `lastLine`, that opens a quoted scalar
 * and is not closed on its own line. Sovereign values are all one line long,
 * so such a quote is a mistake even where YAML would allow it.
 */
export function unclosedQuote(text: string, lastLine: number): { line: number; column: number; quote: string } | undefined {
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i <= Math.min(lastLine, lines.length - 1); i++) {
    const line = lines[i];
    let scalarStart = true;
    for (let j = 0; j < line.length; j++) {
      const c = line[j];
      if (c === " " || c === "\t") continue;
      if (c === "#" && (j === 0 || line[j - 1] === " " || line[j - 1] === "\t")) break;
      if ((c === '"' || c === "'") && scalarStart) {
        const end = closingQuote(line, j);
        if (end < 0) return { line: i, column: j, quote: c };
        j = end;
        scalarStart = false;
      } else if (c === "[" || c === "{" || c === ",") {
        scalarStart = true;
      } else if ((c === ":" || c === "-" || c === "?") && (j + 1 === line.length || line[j + 1] === " " || line[j + 1] === "\t")) {
        scalarStart = true;
      } else {
        scalarStart = false;
      }
    }
  }
  return undefined;
}

function closingQuote(line: string, start: number): number {
  const quote = line[start];
  for (let k = start + 1; k < line.length; k++) {
    if (quote === '"' && line[k] === "\\") k++;
    else if (line[k] === quote) {
      if (quote === "'" && line[k + 1] === "'") k++;
      else return k;
    }
  }
  return -1;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = Math.max(before.lastIndexOf("\n"), before.lastIndexOf("\r")) + 1;
  return { line: (before.match(/\r\n|\r|\n/g) ?? []).length, column: offset - lineStart };
}

/**
 * The line, numbered, and a caret under `column`. Control characters show
 * as one visible character each (a tab as →), so the caret stays aligned
 * and nothing reaches the terminal raw.
 */
export function snippet(text: string, line: number, column: number): string {
  const lines = text.split(/\r\n|\r|\n/);
  const content = lines[line] ?? "";
  // Long lines are cut around the column.
  const from = Math.max(0, Math.min(column - 60, content.length - 120));
  const shownLine = (from > 0 ? "…" : "") + visible(content.slice(from, from + 120)) + (from + 120 < content.length ? "…" : "");
  const caretAt = column - from + (from > 0 ? 1 : 0);
  const number = String(line + 1);
  return `  ${number} | ${shownLine}\n  ${" ".repeat(number.length)} | ${" ".repeat(Math.max(0, caretAt))}^`;
}

function visible(text: string): string {
  return Array.from(text, (ch) => {
    if (ch === "\t") return "→";
    const code = ch.codePointAt(0)!;
    if (code < 0x20) return String.fromCodePoint(0x2400 + code);
    if (code === 0x7f) return "␡";
    if (/[\p{Cc}\p{Cf}\u2028\u2029]/u.test(ch)) return "�";
    return ch;
  }).join("");
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const length = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (length === 0) return i;
    for (let k = 1; k < length; k++) if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80) return i;
    i += length;
  }
  return 0;
}
