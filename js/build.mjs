// Bundle the anywidget ESM and its stylesheet into the Python package (lg_widgets/static/).
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");
const common = {
  outdir: "../lg_widgets/static",
  bundle: true,
  minify: !watch,
  sourcemap: watch ? "inline" : false,
  logLevel: "info",
};
const builds = [
  { ...common, entryPoints: { widget: "src/index.ts" }, format: "esm", target: "es2020" },
  { ...common, entryPoints: { widget: "src/widget.css" } },
];
for (const options of builds) {
  if (watch) await (await esbuild.context(options)).watch();
  else await esbuild.build(options);
}
