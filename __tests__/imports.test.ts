// lib/'s imports flow one way (model -> sizing -> compile -> model data -> endpoint core -> endpoint recipes):
// no cycle, and the endpoint core knows no recipe, so that a recipe is a file of its own.
import * as fs from "fs";
import * as path from "path";

const LIB = path.join(__dirname, "..", "lib");

/** Every module of lib/ (posix paths relative to lib/, without `.ts`) and the lib/ modules it imports. */
function importGraph(): Map<string, string[]> {
  const modules = fs
    .readdirSync(LIB, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => f.split(path.sep).join("/").replace(/\.ts$/, ""));
  return new Map(
    modules.map((m) => {
      const text = fs.readFileSync(path.join(LIB, `${m}.ts`), "utf8");
      const imports = [...text.matchAll(/^(?:import|export)\b[^;]*?(?:from\s+)?"(\.{1,2}\/[^"]+)"/gms)].map(([, spec]) =>
        path.posix.normalize(path.posix.join(path.posix.dirname(m), spec)),
      );
      return [m, [...new Set(imports)].filter((i) => modules.includes(i))];
    }),
  );
}

/** The modules a module reaches through its imports. */
function reach(graph: Map<string, string[]>, from: string): Set<string> {
  const seen = new Set<string>();
  const visit = (m: string) => (graph.get(m) ?? []).forEach((i) => !seen.has(i) && (seen.add(i), visit(i)));
  visit(from);
  return seen;
}

describe("lib/'s imports", () => {
  const graph = importGraph();

  test("are read from every module (the graph is not empty)", () => {
    expect(graph.get("realtime-endpoint")).toEqual(expect.arrayContaining(["sagemaker-endpoint-core", "model-data"]));
  });

  test("have no cycle", () => {
    const cycles = [...graph.keys()].filter((m) => reach(graph, m).has(m));
    expect(cycles).toEqual([]);
  });

  test("the endpoint core reaches no recipe, no model data and no compile", () => {
    const reached = reach(graph, "sagemaker-endpoint-core");
    expect(["realtime-endpoint", "model-data", "neuronx-compile", "compile-settings"].filter((m) => reached.has(m))).toEqual([]);
  });
});
