import { Testing } from "cdktf";

// toHaveResource, toHaveResourceWithProperties, toHaveDataSourceWithProperties, ...
Testing.setupJest();
