/**
 * The loader's guard on state names: a state name the backend's limit
 * refuses rejects the file at load time, at `state`. No accepted input gets
 * there (state-names.test.ts walks the longest), so config/names.ts is
 * replaced by one whose local state name is too long.
 */
import * as yaml from "js-yaml";
import { parseSovereign } from "../config/load";
import { exampleWith, problemsOf } from "./fixtures/sovereigns";

jest.mock("../config/names", () => {
  const actual = jest.requireActual("../config/names");
  return { ...actual, stateName: () => ({ name: `terraform.${"a".repeat(227)}.tfstate` }) };
});

test("fails at load time, at state, when the state name breaks its backend's limit", () => {
  expect(problemsOf(() => parseSovereign(yaml.dump(exampleWith({})), "sovereigns/acme.yaml"))).toEqual([
    { file: "sovereigns/acme.yaml", path: "state", message: expect.stringMatching(/^gives an invalid state location: state file "terraform\.a{227}\.tfstate" gives the lock file .* not a file name of at most 255 bytes$/) },
  ]);
});
