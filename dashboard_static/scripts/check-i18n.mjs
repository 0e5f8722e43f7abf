// Checks that every language catalogue has the same keys and the same {placeholders} as en.json.
// Used by build.mjs (a mismatch fails the build) and by `npm test`.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

function flatten(obj, prefix = "", out = {}) {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    const isPlural = v && typeof v === "object" && "other" in v;
    if (v && typeof v === "object" && !isPlural) flatten(v, key, out);
    else out[key] = v;
  }
  return out;
}

function placeholders(value) {
  const text = typeof value === "string" ? value : Object.values(value).join(" ");
  return [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort().join(",");
}

export function checkCatalogues(dir) {
  const problems = [];
  const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
  const load = (f) => flatten(JSON.parse(readFileSync(join(dir, f), "utf8")));
  const base = load("en.json");
  for (const file of files.filter((f) => f !== "en.json")) {
    const other = load(file);
    for (const key of Object.keys(base)) {
      if (!(key in other)) problems.push(`${file}: missing ${key}`);
      else if (placeholders(base[key]) !== placeholders(other[key]))
        problems.push(`${file}: ${key} has placeholders {${placeholders(other[key])}}, en has {${placeholders(base[key])}}`);
      else if (typeof other[key] === "string" && !other[key].trim()) problems.push(`${file}: ${key} is empty`);
    }
    for (const key of Object.keys(other)) if (!(key in base)) problems.push(`${file}: ${key} is not in en.json`);
  }
  return problems;
}
