import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadSovereignFile, parseSovereign } from "../config/load";
import { MAX_SOVEREIGN_FILE_BYTES } from "../config/yaml-source";
import { EXAMPLE_TEXT, problemsOf } from "./fixtures/sovereigns";


/** The issue's bomb: each level an anchored list repeating the level above nine times. */
function aliasBomb(levels: number): string {
  const lines = [`a0: &a0 [${Array(9).fill('"lol"').join(",")}]`];
  for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(",")}]`);
  return `${lines.join("\n")}\nfqdn: x.example.org\norg: { name: *a${levels} }\n`;
}

describe("YAML bombs and oversized files", () => {
  test.each([9, 10])("fails on a %i-level nested alias bomb in under 1 s, naming anchors and aliases", (levels) => {
    const started = process.hrtime.bigint();
    const problems = problemsOf(() => parseSovereign(aliasBomb(levels), "bomb.yaml"));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    expect(seconds).toBeLessThan(1);
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toBe(
      'not accepted YAML at line 1, column 5: anchors (&name) and aliases (*name) are not allowed in a Sovereign file; write each value out\n  1 | a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n    |     ^',
    );
  });

  test("fails on a single alias too, pointing at the anchor", () => {
    const text = EXAMPLE_TEXT.replace("org: {", "org: &o {") + "extra: *o\n";
    const [problem] = problemsOf(() => parseSovereign(text, "alias.yaml"));
    expect(problem.message).toMatch(/^not accepted YAML at line 14, column 6: anchors \(&name\) and aliases \(\*name\) are not allowed/);
  });

  test("fails on a self-referencing alias without recursing", () => {
    const [problem] = problemsOf(() => parseSovereign("fqdn: &x [*x]\n", "loop.yaml"));
    expect(problem.message).toMatch(/^not accepted YAML at line 1, column 11: anchors/);
  });

  test("accepts & and * inside values (they are not anchors there)", () => {
    const text = EXAMPLE_TEXT.replace("name: Omantel,", `name: "Omantel & *Partners*",`).replace("name: Omantel", "name: Omantel");
    expect(parseSovereign(text, "ok.yaml").org.name).toBe("Omantel & *Partners*");
  });

  test("fails on a file over 64 KiB before reading it", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "big-"));
    try {
      const file = path.join(dir, "big.yaml");
      fs.writeFileSync(file, EXAMPLE_TEXT + "#".repeat(MAX_SOVEREIGN_FILE_BYTES));
      const size = fs.statSync(file).size;
      const [problem] = problemsOf(() => loadSovereignFile(file));
      expect(problem).toEqual({ file, path: "", message: `is ${size} bytes; a Sovereign file is at most 64 KiB (the example is about 1 KiB), so this is not one` });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("YAML syntax errors show the line with a caret at the real position", () => {
  test("an unclosed quote on line 14 is reported there, not where YAML gave up", () => {
    const text = EXAMPLE_TEXT.replace("org: { name: Omantel,", 'org: { name: "Omantel,');
    const [problem] = problemsOf(() => parseSovereign(text, "quote.yaml"));
    expect(problem.message).toBe(
      "not valid YAML at line 14, column 14: this double quote is never closed on its line (YAML read on to line 20, column 20, and stopped: missed comma between flow collection entries); close it, or drop the quotes\n" +
        '  14 | org: { name: "Omantel, email: ops@omantel.om }\n' +
        "     |              ^",
    );
  });

  test("an unclosed single quote in block style, where YAML reports the end of the file", () => {
    const text = "fqdn: a.example.org\norg:\n  name: 'Omantel\n  email: ops@example.org\nlocation: fsn1\n";
    const [problem] = problemsOf(() => parseSovereign(text, "q.yaml"));
    expect(problem.message.split("\n")).toEqual([
      "not valid YAML at line 3, column 9: this single quote is never closed on its line (YAML read on to line 6, column 1, and stopped: unexpected end of the stream within a single quoted scalar); close it, or drop the quotes",
      "  3 |   name: 'Omantel",
      "    |         ^",
    ]);
  });

  test("a quote closed early (O'Brien in single quotes) keeps YAML's position on its line", () => {
    const [problem] = problemsOf(() => parseSovereign("fqdn: a.example.org\norg:\n  name: 'O'Brien\n", "q.yaml"));
    expect(problem.message).toBe("not valid YAML at line 3, column 12: bad indentation of a mapping entry\n  3 |   name: 'O'Brien\n    |            ^");
  });

  test("an error with no quote involved keeps YAML's own position, with the caret there", () => {
    const text = "fqdn: a.example.org\n location: fsn1\n";
    const [problem] = problemsOf(() => parseSovereign(text, "indent.yaml"));
    expect(problem.message).toBe("not valid YAML at line 2, column 10: bad indentation of a mapping entry\n  2 |  location: fsn1\n    |          ^");
  });

  test("a tab shows as one visible character, so the caret stays under it", () => {
    const [problem] = problemsOf(() => parseSovereign("org:\n\tname: x\n", "tab.yaml"));
    expect(problem.message).toBe("not valid YAML at line 2, column 1: tab characters must not be used in indentation\n  2 | →name: x\n    | ^");
  });

  test("a quote that closes on its line is not blamed", () => {
    const text = 'fqdn: "a.example.org"\norg: { name: "x", email: ops@example.org\n';
    const [problem] = problemsOf(() => parseSovereign(text, "flow.yaml"));
    expect(problem.message).toMatch(/^not valid YAML at line 3, column 1: /);
  });
});

describe("encodings", () => {
  test.each([
    ["UTF-16LE with a byte-order mark", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(EXAMPLE_TEXT, "utf16le")]), "is not UTF-8 text (it starts with a UTF-16 byte-order mark); save it as UTF-8"],
    ["UTF-16LE without one", Buffer.from(EXAMPLE_TEXT, "utf16le"), "is not UTF-8 text (it contains NUL bytes, as UTF-16 text does); save it as UTF-8"],
    ["Latin-1", Buffer.from("fqdn: a.example.org\norg: { name: Soci\xe9t\xe9 }\n", "latin1"), "is not UTF-8 text (invalid byte 0xe9 at offset 37); save it as UTF-8"],
  ])("fails on %s, asking for UTF-8", (_name, bytes, message) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "enc-"));
    try {
      const file = path.join(dir, "x.yaml");
      fs.writeFileSync(file, bytes);
      expect(problemsOf(() => loadSovereignFile(file))).toEqual([{ file, path: "", message }]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("accepts UTF-8 with a byte-order mark", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "enc-"));
    try {
      const file = path.join(dir, "x.yaml");
      fs.writeFileSync(file, "\ufeff" + EXAMPLE_TEXT);
      expect(loadSovereignFile(file).fqdn).toBe("omantel.omani.works");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
