/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } }],
    "^.+\\.sh$": "<rootDir>/scripts/jest-text-transform.js",
  },
  moduleFileExtensions: ["ts", "js", "json", "sh"],
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.js"],
  globalTeardown: "<rootDir>/__tests__/teardown.js",
  testTimeout: 60000,
};
