/**
 * The named error kinds of this program. Tests compare kinds and fields,
 * not prose; the prose is for people.
 */

/** One problem in one Sovereign file: the field path as written and what is wrong. */
export interface SovereignFileProblem {
  /** File the problem is in, as given to the loader. */
  readonly file: string;
  /** Field path as the user writes it (`workers.count`, `ssh.allowedCidrs[1]`); empty for the whole file. */
  readonly path: string;
  /** What is wrong and what is allowed. */
  readonly message: string;
}

/** Every problem of every rejected Sovereign file; thrown before any stack exists. */
export class SovereignFileError extends Error {
  constructor(public readonly problems: readonly SovereignFileProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "SovereignFileError";
  }
}

/** `file: path: message`, the form users see (a YAML error adds its line and caret below). */
export function formatProblem(problem: SovereignFileProblem): string {
  const text = problem.path ? `${problem.file}: ${problem.path}: ${problem.message}` : `${problem.file}: ${problem.message}`;
  // Nothing from a file reaches the terminal raw: no escape sequences, bells or bidi overrides.
  return text.replace(/(?!\n)[\p{Cc}\p{Cf}\u2028\u2029]/gu, escapeChar);
}

/**
 * A value as JSON, with every control or format character escaped too
 * (JSON.stringify leaves DEL, C1 controls and bidi overrides raw).
 */
export function quoteValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, escapeChar);
}

function escapeChar(ch: string): string {
  return `\\u${ch.codePointAt(0)!.toString(16).padStart(4, "0")}`;
}

/** A construct received props that break its invariants. */
export class ConstructPropError extends Error {
  constructor(
    /** Construct path (`omantel-omani-works/ControlPlane`). */
    public readonly constructPath: string,
    /** The prop at fault. */
    public readonly prop: string,
    /** What is wrong and what is allowed (includes the value received). */
    public readonly reason: string,
  ) {
    super(`${constructPath}: ${prop} ${reason}`);
    this.name = "ConstructPropError";
  }
}

/** Rendered user data would not fit Hetzner's 32 KiB limit. */
export class UserDataTooLargeError extends Error {
  constructor(
    public readonly server: string,
    public readonly bytes: number,
    public readonly limitBytes: number,
  ) {
    super(`${server}: user_data could reach ${bytes} bytes, over Hetzner's limit of ${limitBytes} bytes (32 KiB); drop optional steps or shorten values`);
    this.name = "UserDataTooLargeError";
  }
}
