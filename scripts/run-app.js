// The app command of cdktf.json (`node scripts/run-app.js main.ts`): compiles the example app
// (main.ts, stacks/, lib/) into one JavaScript file with esbuild, .build/<name>.js, and runs it in
// this process with plain node. The npm packages stay outside the bundle, and the library finds its
// python/ and scripts/ from the bundle's directory (lib/private/assets.ts).
//
// Why not `npx tsx main.ts`: npx and tsx's second process cost about a second, and tsx turns on
// source maps, which makes every stack trace that cdktf captures for a token slow; `npm run bench`
// measures the difference. The bundle is rebuilt only when one of its sources changed (esbuild's
// metafile lists them), so a synth with no change runs no compiler at all.
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
// The entry's own arguments follow it: the bundle sees them as process.argv[2...].
const [entryArg = "main.ts"] = process.argv.splice(2, 1);
const entry = path.resolve(entryArg);
const outfile = path.join(root, ".build", `${path.basename(entry, ".ts")}.js`);
const metafile = `${outfile}.meta.json`;

/** True when the bundle exists and is newer than every source it was built from. */
function fresh() {
  if (!fs.existsSync(outfile) || !fs.existsSync(metafile)) return false;
  const built = fs.statSync(outfile).mtimeMs;
  const { inputs } = JSON.parse(fs.readFileSync(metafile, "utf8"));
  return Object.keys(inputs).every((input) => {
    const file = path.resolve(root, input);
    return fs.existsSync(file) && fs.statSync(file).mtimeMs <= built;
  });
}

if (!fresh()) {
  const result = require("esbuild").buildSync({
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    packages: "external",
    platform: "node",
    target: "node20",
    format: "cjs",
    outfile,
    sourcemap: "linked", // for `node --enable-source-maps .build/main.js`; not loaded by default
    metafile: true,
    logLevel: "warning",
  });
  fs.writeFileSync(metafile, JSON.stringify(result.metafile));
}
require(outfile);
