/**
 * The security settings a server receives, asserted outright on the
 * rendered cloud-init of every role: a snapshot alone would let
 * `jest -u` accept `PasswordAuthentication yes`, a 0644 k3s config or
 * `maxretry = 50`.
 */
import * as yaml from "js-yaml";
import { gunzipSync } from "zlib";
import { NODE_ROLES, nodeCloudConfig, renderCloudConfig } from "../userdata";
import { PATHS } from "../userdata/paths";
import { bootInput } from "./fixtures/boot";

interface RenderedFile {
  readonly permissions: string;
  readonly content: string;
}

/** write_files of a role's rendered document, decoded as cloud-init writes them. */
function renderedFiles(role: (typeof NODE_ROLES)[number], changes: Record<string, unknown> = {}): Map<string, RenderedFile> {
  // Terraform turns $${ back into ${ when it evaluates the literal.
  const text = renderCloudConfig(nodeCloudConfig(bootInput(role, changes))).replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
  const doc = yaml.load(text) as { write_files: { path: string; permissions: string; encoding?: string; content: string }[] };
  return new Map(
    doc.write_files.map((f) => {
      const bytes = f.encoding === "gz+b64" ? gunzipSync(Buffer.from(f.content, "base64")) : f.encoding === "b64" ? Buffer.from(f.content, "base64") : Buffer.from(f.content);
      return [f.path, { permissions: f.permissions, content: bytes.toString("utf8") }];
    }),
  );
}

const lines = (text: string) => text.split("\n").map((l) => l.trim());

describe.each(NODE_ROLES)("%s", (role) => {
  const files = renderedFiles(role);

  test("sshd refuses passwords: the drop-in says PasswordAuthentication no, and nothing else about it", () => {
    const dropIn = files.get(PATHS.sshdDropIn)!;
    expect(lines(dropIn.content).filter((l) => /^PasswordAuthentication\b/i.test(l))).toEqual(["PasswordAuthentication no"]);
    expect(lines(dropIn.content).filter((l) => /^(KbdInteractiveAuthentication|PermitEmptyPasswords)\b/i.test(l))).toEqual(["KbdInteractiveAuthentication no", "PermitEmptyPasswords no"]);
  });

  test("the k3s config, which holds a cluster token, is written 0600", () => {
    expect(files.get(PATHS.k3sConfig)?.permissions).toBe("0600");
    expect((yaml.load(files.get(PATHS.k3sConfig)!.content) as Record<string, unknown>).token).toBeDefined();
  });

  test("fail2ban bans after 5 failed SSH logins within 10 minutes, for an hour", () => {
    const jail = lines(files.get(PATHS.fail2banJail)!.content);
    expect(jail.filter((l) => /^(maxretry|findtime|bantime|enabled)\s*=/.test(l))).toEqual(["enabled = true", "maxretry = 5", "findtime = 10m", "bantime = 1h"]);
  });

  test("fail2ban's jail is absent when the file turns fail2ban off", () => {
    expect(renderedFiles(role, { hardening: { fail2ban: false } }).has(PATHS.fail2banJail)).toBe(false);
  });
});
