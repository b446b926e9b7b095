/** Jest: TypeScript through ts-jest without type checking (`npm run build` type-checks once, faster). */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  // The Terraform tier has its own config (jest.terraform.config.js) and command.
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/__tests__/terraform/"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { tsconfig: { isolatedModules: true, module: "commonjs" }, diagnostics: false }],
  },
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  // The README's examples import the package by its name; in the repository that is lib/.
  moduleNameMapper: { "^cdktf-neuronx-patterns$": "<rootDir>/lib" },
};
