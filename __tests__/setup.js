// Loaded after the test framework: cdktf's jest matchers (toHaveResource…).
const { Testing } = require("cdktf");
Testing.setupJest();
