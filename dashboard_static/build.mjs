// Builds the dashboard into dist/: index.html, hashed JS chunks and CSS, Leaflet's images.
// Everything the page loads comes from our own origin; nothing is fetched from a CDN.
//
//   node build.mjs            production build (minified, code-split, hashed names)
//   node build.mjs --watch    rebuild on change (for make dev sessions)
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

import { checkCatalogues } from "./scripts/check-i18n.mjs";

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, "dist");
const watch = process.argv.includes("--watch");

// Fail the build when the EN and PL catalogues differ in keys or placeholders.
const problems = checkCatalogues(join(root, "src/i18n"));
if (problems.length) {
  console.error("i18n catalogues are inconsistent:\n  " + problems.join("\n  "));
  process.exit(1);
}

/** Writes index.html with the hashed names of the entry script and stylesheet. */
function writeIndex(metafile) {
  const outputs = Object.entries(metafile.outputs);
  const entry = outputs.find(([, o]) => o.entryPoint === "src/main.js");
  if (!entry) throw new Error("no output for src/main.js");
  const [jsPath, jsOut] = entry;
  const cssPath = jsOut.cssBundle;
  const rel = (p) => "./" + relative(dist, join(root, p)).split("\\").join("/");
  const template = readFileSync(join(root, "src/index.html"), "utf8");
  const html = template
    .replace("%MAIN_JS%", rel(jsPath))
    .replace("%MAIN_CSS%", cssPath ? rel(cssPath) : "")
    .replace("%FAVICON%", "./" + faviconName);
  writeFileSync(join(dist, "index.html"), html);
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "assets"), { recursive: true });

const faviconSrc = readFileSync(join(root, "src/favicon.svg"));
const faviconName = `favicon-${createHash("sha256").update(faviconSrc).digest("hex").slice(0, 8)}.svg`;
copyFileSync(join(root, "src/favicon.svg"), join(dist, faviconName));

const options = {
  absWorkingDir: root,
  entryPoints: ["src/main.js"],
  bundle: true,
  splitting: true,
  format: "esm",
  outdir: "dist/assets",
  entryNames: "[name]-[hash]",
  chunkNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  loader: { ".png": "file", ".svg": "file", ".json": "json" },
  minify: !watch && !process.env.EDGEX_NO_MINIFY,
  sourcemap: watch ? "inline" : "linked",
  target: ["chrome110", "firefox115", "safari16", "edge110"],
  metafile: true,
  legalComments: "linked",
  logLevel: "warning",
  define: { "process.env.NODE_ENV": watch ? '"development"' : '"production"' },
  plugins: [
    {
      // CodeMirror's style-mod injects a <style> element into the document, which a CSP without
      // 'unsafe-inline' for styles blocks. It already uses constructable (adopted) stylesheets for
      // shadow roots; this makes it use them for the document too (CSSOM, not blocked by CSP).
      name: "style-mod-adopted-sheets",
      setup(build) {
        build.onLoad({ filter: /style-mod[\\/]src[\\/]style-mod\.js$/ }, async (args) => {
          const source = readFileSync(args.path, "utf8");
          const needle = "if (!root.head && root.adoptedStyleSheets && win.CSSStyleSheet) {";
          if (!source.includes(needle)) throw new Error("style-mod changed: review the adopted-stylesheet patch");
          return { contents: source.replace(needle, "if (root.adoptedStyleSheets && win.CSSStyleSheet) {"), loader: "js" };
        });
      },
    },
    {
      name: "index-html",
      setup(build) {
        build.onEnd((result) => {
          if (result.errors.length === 0 && result.metafile) writeIndex(result.metafile);
        });
      },
    },
  ],
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
  console.log("dashboard: watching src/ (dist/ is rebuilt on change)");
} else {
  const result = await esbuild.build(options);
  const sizes = Object.entries(result.metafile.outputs)
    .filter(([p]) => !p.endsWith(".map"))
    .map(([p, o]) => `${relative("dist", p).padEnd(48)} ${(o.bytes / 1024).toFixed(1).padStart(7)} KiB`);
  console.log("dashboard built into dist/:\n  " + sizes.join("\n  "));
}
