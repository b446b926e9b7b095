/** The Terraform tier (npm run test:terraform): the real terraform CLI and checkov on the synthesized stacks. */
const unit = require("./jest.config");

module.exports = { ...unit, roots: ["<rootDir>/__tests__/terraform"], testPathIgnorePatterns: ["/node_modules/"], testTimeout: 300_000 };
