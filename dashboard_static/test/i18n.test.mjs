// npm test: the EN and PL catalogues agree, and every key the source names exists.
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { checkCatalogues } from "../scripts/check-i18n.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".js") ? [path] : [];
  });
}

function has(catalogue, key) {
  let node = catalogue;
  for (const part of key.split(".")) {
    if (node === null || typeof node !== "object" || !(part in node)) return false;
    node = node[part];
  }
  return true;
}

test("catalogues have the same keys and placeholders", () => {
  assert.deepEqual(checkCatalogues(join(root, "src/i18n")), []);
});

test("every literal i18n key in the source exists in en.json", () => {
  const en = JSON.parse(readFileSync(join(root, "src/i18n/en.json"), "utf8"));
  const prefixes = new Set(Object.keys(en));
  const missing = [];
  for (const file of sources(join(root, "src"))) {
    const text = readFileSync(file, "utf8");
    for (const [, key] of text.matchAll(/["'`]([a-z][A-Za-z]*\.[A-Za-z0-9_.]+)["'`]/g)) {
      if (!prefixes.has(key.split(".")[0])) continue; // file names, storage keys, CSS selectors
      if (!has(en, key)) missing.push(`${file.slice(root.length)}: ${key}`);
    }
  }
  assert.deepEqual(missing, []);
});
