/**
 * The loader's guard: a name or label the rules refuse rejects the file at
 * load time, at `fqdn`. No FQDN the schema accepts gets there (names.test.ts
 * walks the longest), so config/names.ts is replaced by one that breaks a name.
 */
import { parseSovereign } from "../config/load";
import { exampleWith, problemsOf } from "./fixtures/sovereigns";
import * as yaml from "js-yaml";

jest.mock("../config/names", () => {
  const actual = jest.requireActual("../config/names");
  return { ...actual, sovereignNames: (fqdn: string) => ({ ...actual.sovereignNames(fqdn), network: "catalyst_net", sovereignLabel: `-${fqdn}` }) };
});

test("fails at load time, at fqdn, when the names it gives break the provider's rules", () => {
  expect(problemsOf(() => parseSovereign(yaml.dump(exampleWith({})), "sovereigns/acme.yaml"))).toEqual([
    { file: "sovereigns/acme.yaml", path: "fqdn", message: expect.stringMatching(/^gives an invalid Hetzner name or label: label value "-omantel\.omani\.works" is not a valid Hetzner label value/) },
    { file: "sovereigns/acme.yaml", path: "fqdn", message: expect.stringMatching(/^gives an invalid Hetzner name or label: resource name "catalyst_net" is not one lowercase DNS label/) },
  ]);
});
