import * as fs from "fs";
import * as path from "path";

/** The package's name, as in its package.json. */
const PACKAGE_NAME = "cdktf-neuronx-patterns";

/**
 * The package's root directory: the nearest directory above this file whose package.json is this
 * package's. That is two levels up both in the repository (lib/private/assets.ts) and in the
 * installed package (dist/private/assets.js), and one level up from the example app's compiled
 * bundle (.build/main.js, scripts/run-app.js): a search rather than a fixed `../..` serves all three.
 */
export const PACKAGE_ROOT = findPackageRoot(__dirname);

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, "utf8")).name === PACKAGE_NAME) return dir;
    if (path.dirname(dir) === dir) {
      throw new Error(
        `${PACKAGE_NAME} cannot find its own package.json above ${start}, so not its python/ and scripts/ either; ` +
          "if your app is bundled (esbuild, webpack), mark cdktf-neuronx-patterns as external",
      );
    }
  }
}

const registered = new Set<string>();

/**
 * The absolute path of a file or directory that the constructs read at synth time (code they
 * upload, scripts they stage as Terraform assets), given by its path from the package root
 * ("python/serving", "scripts/wait-for-compile.sh").
 *
 * Every such path goes through here: the package test checks that each one registered is in the
 * published package (package.json "files") with exactly the files the constructs ship, so a new
 * asset cannot work in the repository and be missing for the teams that install the package.
 */
export function packageAsset(relativePath: string): string {
  if (path.isAbsolute(relativePath) || relativePath.split(/[\\/]/).includes("..")) {
    throw new Error(`packageAsset takes a path inside the package, got ${JSON.stringify(relativePath)}`);
  }
  registered.add(relativePath);
  return path.join(PACKAGE_ROOT, relativePath);
}

/** The assets registered so far (by the modules loaded), as paths from the package root, sorted. */
export function registeredPackageAssets(): string[] {
  return [...registered].sort();
}

/** Reads a text asset, with an error that says the package is incomplete when it is missing. */
export function readPackageAsset(relativePath: string): string {
  const file = packageAsset(relativePath);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: cdktf-neuronx-patterns is installed without ${relativePath}; reinstall the package`);
  }
  return fs.readFileSync(file, "utf8");
}
