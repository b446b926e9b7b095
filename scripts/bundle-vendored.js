// Part of `npm run build`, after tsc: rewrites dist/private/glob.js as a bundle of lib/private/glob.ts
// with the npm packages it imports (minimatch and its dependencies), so that the installed package
// requires nothing beyond its peers and Node's built-ins. The bundled packages' licences (ISC, MIT),
// which ask that their notices go with every copy, are written at the top of the file, each with
// the package's name and version. `node scripts/bundle-vendored.js` needs a dist/ from tsc first.
"use strict";
const fs = require("fs");
const path = require("path");
const esbuild = require("esbuild");

const root = path.resolve(__dirname, "..");
/** The modules of lib/ bundled with their npm imports, as paths from lib/ without the extension. */
const VENDORING = ["private/glob"];

/** The package directory (holding package.json) of a bundled input under node_modules. */
function packageDirOf(input) {
  const parts = input.split("/");
  const at = parts.lastIndexOf("node_modules");
  const length = parts[at + 1].startsWith("@") ? 2 : 1;
  return parts.slice(0, at + 1 + length).join("/");
}

/** The licence notice of each npm package in a bundle: name, version, licence and the LICENSE file's text. */
function licenceNotices(metafile) {
  const dirs = [
    ...new Set(
      Object.keys(metafile.inputs)
        .filter((i) => i.includes("node_modules/"))
        .map(packageDirOf),
    ),
  ].sort();
  return dirs.map((dir) => {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, dir, "package.json"), "utf8"));
    const file = fs.readdirSync(path.join(root, dir)).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    if (!file) throw new Error(`${dir} has no LICENSE file, whose notice its bundled copy must carry`);
    const text = fs
      .readFileSync(path.join(root, dir, file), "utf8")
      .trim()
      .replace(/\*\//g, "* /");
    return `${manifest.name} ${manifest.version} (${manifest.license}):\n\n${text}`;
  });
}

for (const module of VENDORING) {
  const outfile = path.join(root, "dist", `${module}.js`);
  if (!fs.existsSync(outfile)) throw new Error(`${outfile} is missing: run tsc -p tsconfig.build.json first`);
  const options = {
    entryPoints: [path.join(root, "lib", `${module}.ts`)],
    absWorkingDir: root,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    outfile,
    allowOverwrite: true,
    metafile: true,
    write: false,
    logLevel: "warning",
  };
  // First pass to learn what is bundled; then the bundle with the notices of exactly those packages.
  const { metafile } = esbuild.buildSync(options);
  const notices = licenceNotices(metafile);
  const banner = `// ${module}: lib/${module}.ts bundled with ${notices.length} npm package(s) (scripts/bundle-vendored.js).\n/*\n${notices.join("\n\n---\n\n")}\n*/`;
  esbuild.buildSync({ ...options, write: true, metafile: false, banner: { js: banner } });
}
