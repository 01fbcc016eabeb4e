/**
 * The boot rehearsal's parts that run without root: its fake scripts pass
 * shellcheck, the README's resume procedure is found where the rehearsal
 * reads it, and the image cache key follows the recipe. (`npm run rehearse`
 * itself needs root and systemd-nspawn; `npm test` never runs it.)
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { requireTool } from "./fixtures/boot";
import { ApiAnswer, ApiRequest, apiAnswer } from "../scripts/rehearse/fake-api";
import { baseRecipe, debianMirror, recipeHash } from "../scripts/rehearse/image";
import { resendCommands, resumeCommands } from "../scripts/rehearse/readme";
import { FAKES_DIR } from "../scripts/rehearse/site";

const ROOT = path.resolve(__dirname, "..");
const FAKES = fs.readdirSync(FAKES_DIR).filter((f) => f.endsWith(".sh"));

(requireTool("shellcheck", "fake scripts of the rehearsal") ? describe : describe.skip)("the rehearsal's fake scripts", () => {
  test.each(FAKES)("%s passes shellcheck", (file) => {
    const r = spawnSync("shellcheck", ["--severity=style", "-s", "sh", path.join(FAKES_DIR, file)], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  test("there are fakes for the installer, k3s and helm", () => {
    expect(FAKES).toEqual(expect.arrayContaining(["k3s-install.sh", "k3s-install-fails.sh", "k3s.sh", "helm.sh"]));
  });
});

describe("the README's resume procedure, as the rehearsal runs it", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

  test("is found: the step runner's --resume", () => {
    expect(resumeCommands(readme, "k3s")).toEqual(["sudo /usr/local/sbin/catalyst-step --resume"]);
  });

  test("takes the paragraph's own sudo commands", () => {
    expect(resumeCommands("To resume: `sudo rm /x/<step>.failed` and `sudo sh /y`.\n", "k3s")).toEqual(["sudo rm /x/k3s.failed", "sudo sh /y"]);
  });

  test("fails when the paragraph is gone", () => {
    expect(() => resumeCommands(readme.replace(/^To resume\b/m, "Resuming"), "k3s")).toThrow(/no paragraph starting 'To resume'/);
  });

  test("re-sending the kubeconfig by hand: write the bearer from stdin, run the postback script, remove the spent bearer", () => {
    expect(resendCommands(readme)).toEqual(["sudo install -m 0600 /dev/stdin /etc/catalyst/postback-bearer", "sudo /usr/local/lib/catalyst/kubeconfig-postback.sh", "sudo rm -f /etc/catalyst/postback-bearer"]);
  });

  test("takes a shell block right after the paragraph", () => {
    const text = "To resume after fixing the cause:\n\n```sh\nsudo a <step>   # comment\n# only a comment\nsudo b\n```\n";
    expect(resumeCommands(text, "cilium")).toEqual(["sudo a cilium", "sudo b"]);
  });
});

describe("the rehearsal image", () => {
  test("the mirror is the first non-security URI of the machine's deb822 sources", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sources-")), "debian.sources");
    fs.writeFileSync(file, "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: trixie-security\n\nTypes: deb\nURIs: http://mirror.example/debian/\nSuites: trixie trixie-updates\n");
    expect(debianMirror(file)).toBe("http://mirror.example/debian");
  });

  test("its cache key changes with its recipe", () => {
    const recipe = baseRecipe("http://deb.debian.org/debian");
    expect(recipeHash(recipe)).toBe(recipeHash(baseRecipe("http://deb.debian.org/debian")));
    expect(recipeHash({ ...recipe, packages: [...recipe.packages, "vim"] })).not.toBe(recipeHash(recipe));
  });
});

describe("the fake provisioning API answers as SPEC.md's contract says", () => {
  const bearer = "0".repeat(64);
  const hash = require("crypto").createHash("sha256").update(bearer).digest("hex");
  const deployments = { d1: { bearerSha256: hash }, d2: {} };
  const put = (over: Partial<ApiRequest> = {}): ApiRequest => ({ method: "PUT", pathname: "/sovereign/api/v1/deployments/d1/kubeconfig", authorization: `Bearer ${bearer}`, bodyBytes: 10, ...over });
  test.each<[string, ApiRequest, Set<string>, ApiAnswer]>([
    ["stored", put(), new Set(), { status: 204, id: "d1" }],
    ["no bearer", put({ authorization: undefined }), new Set(), { status: 401, error: "missing-bearer" }],
    ["wrong bearer", put({ authorization: `Bearer ${"f".repeat(64)}` }), new Set(), { status: 403, error: "invalid-bearer" }],
    ["no bearer hash", put({ pathname: "/sovereign/api/v1/deployments/d2/kubeconfig" }), new Set(), { status: 403, error: "no-bearer-hash" }],
    ["second PUT", put(), new Set(["d1"]), { status: 403, error: "already-set" }],
    ["unknown deployment", put({ pathname: "/sovereign/api/v1/deployments/nope/kubeconfig" }), new Set(), { status: 404, error: "not-found" }],
    ["GET", put({ method: "GET" }), new Set(), { status: 404, error: "not-found" }],
    ["empty body", put({ bodyBytes: 0 }), new Set(), { status: 422, error: "empty-body" }],
    ["body over 1 MiB", put({ bodyBytes: 1024 * 1024 + 1 }), new Set(), { status: 422, error: "body-too-large" }],
  ])("%s", (_name, req, stored, want) => {
    expect(apiAnswer(req, "/sovereign", deployments, stored)).toEqual(want);
  });
});
