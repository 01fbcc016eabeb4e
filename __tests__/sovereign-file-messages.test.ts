/**
 * The exact words a user reads for the inputs that once got a raw, wrong or
 * missing message (issue 11, items 5 and 6), and the warnings that are
 * printed without stopping the run.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { formatProblem } from "../config/errors";
import { loadSovereignSet, parseSovereign, tokenShape } from "../config/load";
import { SERVER_TYPE_FAMILIES, serverTypesIn } from "../config/defaults";
import { run } from "../app";
import { EXAMPLE_TEXT, TEST_SSH_KEY, problemsOf as problemsOfRun } from "./fixtures/sovereigns";

const POSTBACK = "postback: { deploymentId: 5cd1bceaaacb71f6, apiUrl: https://console.openova.io/sovereign }";

/** The example with one text replacement (text, so unquoted scalars stay as the user typed them). */
function edited(from: string, to: string): string {
  expect(EXAMPLE_TEXT).toContain(from);
  return EXAMPLE_TEXT.replace(from, to);
}

const problemsOf = (text: string) => problemsOfRun(() => parseSovereign(text, "s.yaml")).map((p) => [p.path, p.message]);

const ALLOWED_KEYS = 'must be one OpenSSH public key line: "<type> <base64> [comment]" with type ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, ssh-rsa, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com';

describe("messages that say what to do", () => {
  test.each<[string, string, [string, string][]]>([
    [
      "unquoted deployment id of digits",
      edited("deploymentId: 5cd1bceaaacb71f6", "deploymentId: 0000000000000058"),
      [["postback.deploymentId", 'must be 16 lowercase hex characters; YAML reads 0000000000000058 unquoted as the number 58: put it in quotes, like deploymentId: "0000000000000058"']],
    ],
    [
      "unquoted deployment id that YAML reads as a float",
      edited("deploymentId: 5cd1bceaaacb71f6", "deploymentId: 12345e6789012345"),
      [["postback.deploymentId", 'must be 16 lowercase hex characters; YAML reads 12345e6789012345 unquoted as the number Infinity: put it in quotes, like deploymentId: "12345e6789012345"']],
    ],
    [
      "state.token",
      `${EXAMPLE_TEXT}state: { backend: remote, organization: acme, token: abc }\n`,
      [["state.token", "secrets never go in a Sovereign file (it lives in git); remove it and set TF_TOKEN_app_terraform_io (the HCP Terraform token; or run terraform login) when deploying"]],
    ],
    [
      "state.token with another host",
      `${EXAMPLE_TEXT}state: { backend: remote, organization: acme, hostname: tfe.example.org, token: abc }\n`,
      [["state.token", "secrets never go in a Sovereign file (it lives in git); remove it and set TF_TOKEN_tfe_example_org (the HCP Terraform token; or run terraform login) when deploying"]],
    ],
    [
      "state.secretKey",
      `${EXAMPLE_TEXT}state: { backend: s3, bucket: b1b, endpoint: "https://fsn1.your-objectstorage.com", secretKey: abc }\n`,
      [["state.secretKey", "secrets never go in a Sovereign file (it lives in git); remove it and set AWS_SECRET_ACCESS_KEY (S3 state credentials) when deploying"]],
    ],
    [
      "state.accessKey",
      `${EXAMPLE_TEXT}state: { backend: s3, bucket: b1b, endpoint: "https://fsn1.your-objectstorage.com", accessKey: AKIAEXAMPLE }\n`,
      [["state.accessKey", "secrets never go in a Sovereign file (it lives in git); remove it and set AWS_ACCESS_KEY_ID (S3 state credentials) when deploying"]],
    ],
    ["protection: true", `${EXAMPLE_TEXT}protection: true\n`, [["protection", "must be a mapping of its fields (enabled) (got boolean true)"]]],
    ["an empty postback:", edited(POSTBACK, "postback:"), [["postback", "is empty; it must be a mapping of its fields (deploymentId, apiUrl), or remove the postback: line to leave it out"]]],
    ["fqdn: 42", edited("fqdn: omantel.omani.works", "fqdn: 42"), [["fqdn", 'must be a domain name like omantel.omani.works; YAML reads 42 unquoted as the number 42: put it in quotes, like fqdn: "42"']]],
    ["org.name: true", edited("name: Omantel,", "name: true,"), [["org.name", 'must be text; YAML reads true unquoted as the boolean true: put it in quotes, like name: "true"']]],
    ["workers: a list", edited("workers: { serverType: cx33, count: 0 }", "workers: [1]"), [["workers", "must be a mapping of its fields (serverType, count) (got a list)"]]],
    [
      "an http git URL",
      edited("repoUrl: https://github.com/openova-io/openova", "repoUrl: http://github.com/openova-io/openova"),
      [["gitops.repoUrl", 'must be an https git URL like https://github.com/org/repo, with no spaces, credentials, query or fragment; http is not allowed, only https (got "http://github.com/openova-io/openova")']],
    ],
    [
      "an SSH key whose base64 decodes to control bytes",
      edited(TEST_SSH_KEY, `ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 30]), Buffer.from("ssh-ed\x1b[2J\x9b\x07\x7f\x85\u202e", "latin1"), Buffer.alloc(30)]).toString("base64")} x`),
      [["ssh.publicKey", `${ALLOWED_KEYS}; the key says it is ssh-ed25519 but its data is "ssh-ed\\u001b[2J\\u009b\\u0007\\u007f\\u0085.\\u0000\\u0000\\u0000\\u0000\\u0000": the base64 part is damaged (got "ssh-ed25519 AAAAHnNzaC1lZBtbMkqbB3+FLgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...)`]],
    ],
    [
      "an SSH key comment with an escape sequence",
      edited(`${TEST_SSH_KEY}"`, `${TEST_SSH_KEY.replace("ops@example", "ops\\x1b[2J\\u202e@example")}"`),
      [["ssh.publicKey", `${ALLOWED_KEYS}; the base64 part or the comment has characters a key line cannot have (got "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBr+1AJdeaIezHpn71ukww05rETxoIr02h9rQd3G...)`]],
    ],
  ])("%s", (_name, text, expected) => {
    expect(problemsOf(text)).toEqual(expected);
  });

  test("no message carries a raw control character, even from a file name", () => {
    const line = formatProblem({ file: "evil\x1b[2J\x9b.yaml", path: "fqdn", message: "bad \u202e value\n  1 | x" });
    expect(line).toBe("evil\\u001b[2J\\u009b.yaml: fqdn: bad \\u202e value\n  1 | x");
  });
});

describe("server types: the ones Hetzner offers in the location, from one list", () => {
  test.each<[string, string, string]>([
    ["fsn1", "cx99", `is not a server type Hetzner offers in fsn1; offered there: ${serverTypesIn("fsn1").join(", ")} (got "cx99")`],
    ["sin", "cpx99", 'is not a server type Hetzner offers in sin; offered there: cpx12, cpx22, cpx32, cpx42, cpx52, cpx62, ccx13, ccx23, ccx33, ccx43, ccx53, ccx63 (got "cpx99")'],
    ["ash", "ccx73", 'is not a server type Hetzner offers in ash; offered there: cpx12, cpx22, cpx32, cpx42, cpx52, cpx62, ccx13, ccx23, ccx33, ccx43, ccx53, ccx63 (got "ccx73")'],
    ["hel1", "cax51", `is not a server type Hetzner offers in hel1; offered there: ${serverTypesIn("hel1").join(", ")} (got "cax51")`],
  ])("fails in %s on %s, listing what is offered there", (location, type, message) => {
    const text = edited("location: fsn1", `location: ${location}`).replace("serverType: cx43", `serverType: ${type}`).replace("serverType: cx33", `serverType: ${location === "fsn1" || location === "hel1" ? "cx33" : "cpx32"}`);
    expect(problemsOf(text)).toEqual([["controlPlane.serverType", message]]);
  });

  test("the EU offers every family; elsewhere only cpx and ccx", () => {
    expect(serverTypesIn("nbg1")).toEqual(["cx23", "cx33", "cx43", "cx53", "cax11", "cax21", "cax31", "cax41", "cpx12", "cpx22", "cpx32", "cpx42", "cpx52", "cpx62", "ccx13", "ccx23", "ccx33", "ccx43", "ccx53", "ccx63"]);
    expect(serverTypesIn("hil")).toEqual(["cpx12", "cpx22", "cpx32", "cpx42", "cpx52", "cpx62", "ccx13", "ccx23", "ccx33", "ccx43", "ccx53", "ccx63"]);
  });

  test("every type in the list is accepted where it is offered", () => {
    for (const { types, locations } of SERVER_TYPE_FAMILIES) {
      for (const location of locations) {
        for (const type of types) {
          const text = edited("location: fsn1", `location: ${location}`).replace("serverType: cx43", `serverType: ${type}`).replace("serverType: cx33", `serverType: ${type}`);
          expect([location, type, parseSovereign(text, "t.yaml").workers.serverType]).toEqual([location, type, type]);
        }
      }
    }
  });
});

describe("token-shaped strings in any free-text field", () => {
  const ghp = "ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1eF3hJ5";
  const hcloud = "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1eF3hJ5kM7nP9rS1tV3xY5zA7cD9fG1hJ3k";
  test.each<[string, string, string, string]>([
    ["a GitHub token in the org name", edited("name: Omantel,", `name: ${ghp},`), "org.name", "a GitHub token (ghp_…)"],
    ["a fine-grained GitHub token in the key comment", edited("ops@example", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzAB"), "ssh.publicKey", "a GitHub fine-grained token (github_pat_…)"],
    ["a GitLab token as the branch", edited("branch: main", "branch: glpat-abcdefghij0123456789"), "gitops.branch", "a GitLab token (glpat-…)"],
    ["a Hetzner token in the org name", edited("name: Omantel,", `name: "Omantel ${hcloud}",`), "org.name", "a Hetzner Cloud API token (64 letters and digits)"],
    ["a Hetzner token in an https URL path", edited("apiUrl: https://console.openova.io/sovereign", `apiUrl: https://console.openova.io/${hcloud}`), "postback.apiUrl", "a Hetzner Cloud API token (64 letters and digits)"],
  ])("fails on %s without echoing it", (_name, text, field, what) => {
    const problems = problemsOf(text);
    expect(problems).toEqual([[field, `holds what looks like ${what}; secrets never go in a Sovereign file (it lives in git): remove it, revoke that token, and pass secrets as TF_VAR_* variables when deploying`]]);
  });

  test("a lowercase SHA-256 and an SSH key's base64 are not tokens", () => {
    expect(tokenShape("0".repeat(63) + "a")).toBeUndefined();
    expect(tokenShape("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")).toBeUndefined();
    expect(tokenShape("ghp_short")).toBeUndefined();
    const rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQC" + "Ab1".repeat(40) + " ops@example";
    expect(parseSovereign(edited(TEST_SSH_KEY, rsa), "rsa.yaml").ssh.publicKey).toBe(rsa);
  });
});

describe("SSH key types Hetzner accepts", () => {
  // Real public keys made with ssh-keygen for these tests (the private halves were discarded);
  // the sk- keys are built in the security-key wire format around real curve points.
  const KEYS: Record<string, string> = {
    "ecdsa-sha2-nistp384":
      "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBL6Z44x2f4hQ2LVevjGxM3Z/ut77mFClINWVyawAk38bTx0mTNrfxdQm2Gen5ueoYZZtoTJtvQkdZyDlYgDi14T8KRwYeqNx9SiXjAeNCQvurIpiD3hCx+zbLHhB2bUsdw== op384@x",
    "ecdsa-sha2-nistp521":
      "ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAGHRXJujSnqtqsWTytml913FhapdIo9XUDYxh3zjYglttks4lrk3A5O0lNZsuoVt3wiYWtGLQrhsWtlniN3VciizgCatGgcD5z0CXEfUfZ44ocuLAnRAVSPYrWaJ8F6CLoOrqZ1Te8sdnENFeKiE03ESgUb4q06RraMdFQ10gwgJhwaLQ== op521@x",
    "sk-ssh-ed25519@openssh.com": "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIBxVUdlbNUCaiab/camnE3mSbmHLmurZKopUJDjFZNIAAAAABHNzaDo= yubi@x",
    "sk-ecdsa-sha2-nistp256@openssh.com":
      "sk-ecdsa-sha2-nistp256@openssh.com AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyNTZAb3BlbnNzaC5jb20AAAAIbmlzdHAyNTYAAABBBG7e9fvvldmIT7pcgdPYBMw4O46s0gvuSeKbdp1c4+RvyWUHEVF7qffol0aGbQhYj8OP+bHaThveivEYBg7uYJAAAAAEc3NoOg== yubi@x",
  };

  test.each(Object.keys(KEYS))("accepts %s", (type) => {
    expect(parseSovereign(edited(TEST_SSH_KEY, KEYS[type]), "k.yaml").ssh.publicKey).toBe(KEYS[type]);
  });

  test("fails on a nistp384 key whose data names another curve", () => {
    const broken = KEYS["ecdsa-sha2-nistp384"].replace("AAAAIbmlzdHAzODQ", "AAAAIbmlzdHAyNTY");
    expect(problemsOf(edited(TEST_SSH_KEY, broken))[0]).toEqual(["ssh.publicKey", expect.stringContaining('; the ecdsa-sha2-nistp384 key names curve "nistp256": the base64 part is damaged')]);
  });

  test("fails on ssh-dss, which Hetzner takes but Ubuntu 24.04's sshd refuses", () => {
    expect(problemsOf(edited(TEST_SSH_KEY, "ssh-dss AAAAB3NzaC1kc3MAAACBAP ops@x"))[0]).toEqual(["ssh.publicKey", `${ALLOWED_KEYS}; ssh-dss (DSA) keys are refused by Ubuntu 24.04's sshd: use an ssh-ed25519 key (got "ssh-dss AAAAB3NzaC1kc3MAAACBAP ops@x")`]);
  });
});

describe("warnings: printed, never fatal", () => {
  function withDir(files: Record<string, string>, fn: (dir: string) => void) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "warn-"));
    try {
      for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
      fn(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  test("the Kubernetes API open to the whole internet", () => {
    withDir({ "w.yaml": `${EXAMPLE_TEXT}firewall: { apiAllowedCidrs: ["203.0.113.0/24", "0.0.0.0/0", "::/0"] }\n` }, (dir) => {
      const { sovereigns, warnings } = loadSovereignSet(dir);
      expect(sovereigns).toHaveLength(1);
      const text = "opens the Kubernetes API (tcp 6443) of every server to the whole internet; list your own networks instead, or remove it (the API stays reachable through the load balancer)";
      expect(warnings).toEqual([
        { file: path.join(dir, "w.yaml"), path: "firewall.apiAllowedCidrs[1]", message: `0.0.0.0/0 ${text}` },
        { file: path.join(dir, "w.yaml"), path: "firewall.apiAllowedCidrs[2]", message: `::/0 ${text}` },
      ]);
    });
  });

  test("one SSH key in two Sovereigns (the comment does not matter); the run still succeeds and prints them", () => {
    const other = EXAMPLE_TEXT.replace("omantel.omani.works", "other.omani.works").replace("ops@example", "someone-else");
    withDir({ "a.yaml": EXAMPLE_TEXT, "b.yaml": other }, (dir) => {
      const out = path.join(dir, "out");
      const lines: string[] = [];
      expect(run({ sovereignsDir: dir, outdir: out, stderr: (l) => lines.push(l), stdout: () => undefined })).toBe(0);
      const text = "Hetzner refuses a second key with one fingerprint in a project, so deploy these Sovereigns to different Hetzner projects or give each its own key";
      expect(lines).toEqual([
        `warning: ${path.join(dir, "a.yaml")}: ssh.publicKey: is the same key as in ${path.join(dir, "b.yaml")}; ${text}`,
        `warning: ${path.join(dir, "b.yaml")}: ssh.publicKey: is the same key as in ${path.join(dir, "a.yaml")}; ${text}`,
      ]);
      expect(fs.readdirSync(path.join(out, "stacks")).sort()).toEqual(["omantel-omani-works", "other-omani-works"]);
    });
  });

  test("a key shared by many files gives one short line each", () => {
    const files = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`s${i}.yaml`, EXAMPLE_TEXT.replace("omantel.omani.works", `s${i}.example.org`)]));
    withDir(files, (dir) => {
      const { warnings } = loadSovereignSet(dir);
      expect(warnings).toHaveLength(6);
      expect(warnings[0].message).toMatch(new RegExp(`^is the same key as in ${path.join(dir, "s1.yaml")}, ${path.join(dir, "s2.yaml")}, ${path.join(dir, "s3.yaml")} and 2 more; `));
    });
  });

  test("no warning for distinct keys and private API sources", () => {
    withDir({ "a.yaml": `${EXAMPLE_TEXT}firewall: { apiAllowedCidrs: ["203.0.113.0/24"] }\n` }, (dir) => {
      expect(loadSovereignSet(dir).warnings).toEqual([]);
    });
  });
});
