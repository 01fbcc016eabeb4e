/**
 * Shell scripts ship to servers without their comment lines: user data is
 * limited (Hetzner: 32 KiB) and the documented source is in this repository.
 */
import type { WriteFile } from "../cloud-config";
import { scriptPath } from "../paths";

/** Marks where the full, commented script lives. */
export function sourceNote(name: string): string {
  return `# userdata/scripts/${name} (sovereign-cdktf)`;
}

/** The script without full-line comments and blank lines; the shebang kept. */
export function stripShellComments(script: string, name: string): string {
  if (/<<-?\s*['"]?\w/.test(script)) {
    // A here-document's body may hold lines starting with '#': refuse rather than corrupt it.
    throw new Error(`${name}: scripts delivered to servers must not use here-documents`);
  }
  const lines = script.split("\n");
  const out: string[] = [];
  let i = 0;
  if (lines[0]?.startsWith("#!")) out.push(lines[i++]);
  out.push(sourceNote(name));
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*#/.test(line) || /^\s*$/.test(line)) continue;
    out.push(line);
  }
  return `${out.join("\n")}\n`;
}

/** A boot script as a file under /usr/local/lib/catalyst (or `path`), comments stripped, delivered compressed. */
export function scriptFile(name: string, source: string, options: { path?: string } = {}): WriteFile {
  return { path: options.path ?? scriptPath(name), content: stripShellComments(source, name), permissions: "0755", compress: true };
}
