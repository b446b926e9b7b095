// Rewrites the endpoints' golden files (__tests__/golden/endpoints/) from the configurations in
// __tests__/helpers/endpoint-golden.ts: `npm run golden:endpoints`. Only for an intended change of what
// the endpoints render; review the diff before committing it.
import * as path from "path";
import { GOLDEN_DIR, writeGolden } from "../__tests__/helpers/endpoint-golden";

const files = writeGolden();
process.stdout.write(`wrote ${files.length} golden files to ${path.relative(process.cwd(), GOLDEN_DIR)}\n`);
