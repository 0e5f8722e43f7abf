// EN / PL catalogues, switched at runtime without a reload. Every visible string goes through t().
// Elements created with h(..., {t}) remember their key (data-i18n) and are re-translated in place on
// a switch, so views keep their state (editor contents, scroll, selections). Dates are re-formatted
// the same way (data-time). The choice is remembered in localStorage.
import en from "../i18n/en.json";
import pl from "../i18n/pl.json";

const CATALOGUES = { en, pl };
export const LANGUAGES = ["en", "pl"];
const STORAGE_KEY = "edgex.lang";
const listeners = new Set();

function initialLanguage() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved && CATALOGUES[saved]) return saved;
  } catch {
    /* storage disabled: fall back to the browser's language */
  }
  return (navigator.language || "en").toLowerCase().startsWith("pl") ? "pl" : "en";
}

let lang = initialLanguage();

// Intl objects are costly to build (large tables format thousands of cells): one per language.
const formatters = new Map();
function cached(kind, make) {
  const key = `${kind}:${lang}`;
  let value = formatters.get(key);
  if (!value) {
    value = make();
    formatters.set(key, value);
  }
  return value;
}

export function currentLanguage() {
  return lang;
}

function lookup(catalogue, key) {
  let node = catalogue;
  for (const part of key.split(".")) {
    if (node === undefined || node === null) return undefined;
    node = node[part];
  }
  return node;
}

/** Translates key with {name} params; plural entries ({one, few, many, other}) use params.n. */
export function t(key, params = {}) {
  let value = lookup(CATALOGUES[lang], key);
  if (value === undefined) value = lookup(CATALOGUES.en, key);
  if (value === undefined) {
    if (process.env.NODE_ENV !== "production") console.warn(`i18n: missing key ${key}`);
    return key;
  }
  if (typeof value === "object") {
    const rule = cached("plural", () => new Intl.PluralRules(lang)).select(Number(params.n ?? 0));
    value = value[rule] ?? value.other;
  }
  return value.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/** True when the catalogue has the key (used to translate server error codes when we know them). */
export function has(key) {
  return lookup(CATALOGUES.en, key) !== undefined;
}

function splitSpec(spec) {
  return Array.isArray(spec) ? [spec[0], spec[1] || {}] : [spec, {}];
}

/** Binds el's text to a key; re-applied on language change. */
export function bindText(el, spec) {
  const [key, params] = splitSpec(spec);
  el.dataset.i18n = key;
  if (Object.keys(params).length) el.dataset.i18nArgs = JSON.stringify(params);
  else delete el.dataset.i18nArgs;
  el.textContent = t(key, params);
}

/** Binds attributes (placeholder, title, aria-label …) to keys. */
export function bindAttrs(el, attrs) {
  el.dataset.i18nAttr = JSON.stringify(attrs);
  for (const [attr, spec] of Object.entries(attrs)) {
    const [key, params] = splitSpec(spec);
    el.setAttribute(attr, t(key, params));
  }
}

export function formatDateTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return cached("datetime", () => new Intl.DateTimeFormat(lang === "pl" ? "pl-PL" : "en-GB", { dateStyle: "medium", timeStyle: "medium" })).format(d);
}

export function formatNumber(n) {
  return cached("number", () => new Intl.NumberFormat(lang === "pl" ? "pl-PL" : "en-GB")).format(n);
}

/** Date and time without seconds, for table cells. */
export function formatDateTimeShort(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return cached("datetime-short", () => new Intl.DateTimeFormat(lang === "pl" ? "pl-PL" : "en-GB", { dateStyle: "medium", timeStyle: "short" })).format(d);
}

/** Relative time ("12 s ago") in the current language. */
export function formatRelative(iso, now = Date.now()) {
  if (!iso) return "";
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return String(iso);
  const secs = Math.round((then - now) / 1000);
  const rtf = cached("relative", () => new Intl.RelativeTimeFormat(lang, { numeric: "auto", style: "short" }));
  const abs = Math.abs(secs);
  if (abs < 60) return rtf.format(secs, "second");
  if (abs < 3600) return rtf.format(Math.round(secs / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(secs / 3600), "hour");
  return rtf.format(Math.round(secs / 86400), "day");
}

/** A <time> element bound to an ISO timestamp, re-formatted on language change. */
export function bindTime(el, iso, mode = "absolute") {
  el.dataset.time = iso || "";
  el.dataset.timeMode = mode;
  if (iso) el.setAttribute("datetime", iso);
  applyTime(el);
}

function applyTime(el) {
  const iso = el.dataset.time;
  if (!iso) {
    el.textContent = "—";
    el.removeAttribute("title");
    return;
  }
  if (el.dataset.timeMode === "relative") {
    el.textContent = formatRelative(iso);
    el.title = formatDateTime(iso);
  } else if (el.dataset.timeMode === "short") {
    el.textContent = formatDateTimeShort(iso);
    el.title = formatDateTime(iso);
  } else {
    el.textContent = formatDateTime(iso);
  }
}

/** Re-translates everything under root (default: the whole document). */
export function applyTranslations(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    const params = el.dataset.i18nArgs ? JSON.parse(el.dataset.i18nArgs) : {};
    const text = t(el.dataset.i18n, params);
    if (el.textContent !== text) el.textContent = text;
  }
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const [attr, spec] of Object.entries(JSON.parse(el.dataset.i18nAttr))) {
      const [key, params] = splitSpec(spec);
      el.setAttribute(attr, t(key, params));
    }
  }
  for (const el of root.querySelectorAll("[data-time]")) applyTime(el);
}

/** Refreshes relative times (called by live views on each poll). */
export function refreshRelativeTimes(root = document) {
  for (const el of root.querySelectorAll('[data-time-mode="relative"]')) applyTime(el);
}

export function setLanguage(next) {
  if (!CATALOGUES[next] || next === lang) return;
  lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    /* not remembered when storage is disabled; still switched */
  }
  document.documentElement.lang = next;
  applyTranslations(document);
  for (const fn of listeners) fn(next);
}

/** Subscribe to language switches; returns an unsubscribe function. */
export function onLanguageChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
