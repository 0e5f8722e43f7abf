// Formatting of data values (not UI copy): sizes, checksums, locations, durations.
import { currentLanguage } from "./i18n.js";

export function formatBytes(n) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return "—";
  const value = Number(n);
  if (value < 1024) return `${value} B`;
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${(value / 1024 / 1024).toFixed(2)} MiB`;
}

export function shortChecksum(hex) {
  return hex ? `${hex.slice(0, 12)}…` : "—";
}

const regionNames = new Map();

/** "JP" -> "Japan" / "Japonia" in the current language (Intl.DisplayNames); the code if unknown. */
export function countryName(code) {
  if (!code) return "";
  const lang = currentLanguage();
  if (!regionNames.has(lang)) {
    try {
      regionNames.set(lang, new Intl.DisplayNames([lang], { type: "region" }));
    } catch {
      regionNames.set(lang, null);
    }
  }
  const names = regionNames.get(lang);
  try {
    return (names && names.of(String(code).toUpperCase())) || String(code);
  } catch {
    return String(code); // not a region code
  }
}

/** "Tokyo, Japan": the city and the country's name. CloudFront's region is a subdivision code
 * ("13"), which no reader understands, so it is shown only when it is a word. */
export function locationText(geo) {
  if (!geo) return "";
  const region = geo.region && geo.region !== geo.city && /[A-Za-z\u00C0-\uFFFF]{3,}/.test(geo.region) ? geo.region : null;
  const parts = [geo.city, region, countryName(geo.country)].filter(Boolean);
  return parts.join(", ");
}

/** "1 h 5 min", "3 min 2 s", "12 s" between two ISO times (now when the end is missing). */
export function durationText(startIso, endIso, now = Date.now()) {
  if (!startIso) return "";
  const start = new Date(startIso).getTime();
  const end = endIso ? new Date(endIso).getTime() : now;
  if (Number.isNaN(start) || Number.isNaN(end)) return "";
  const secs = Math.max(0, Math.round((end - start) / 1000));
  const lang = currentLanguage();
  const unit = (n, u) => new Intl.NumberFormat(lang, { style: "unit", unit: u, unitDisplay: "narrow" }).format(n);
  if (secs < 60) return unit(secs, "second");
  if (secs < 3600) return `${unit(Math.floor(secs / 60), "minute")} ${unit(secs % 60, "second")}`;
  return `${unit(Math.floor(secs / 3600), "hour")} ${unit(Math.floor((secs % 3600) / 60), "minute")}`;
}

export function hasCoordinates(geo) {
  return (
    geo &&
    geo.latitude !== undefined &&
    geo.latitude !== null &&
    geo.longitude !== undefined &&
    geo.longitude !== null &&
    Number.isFinite(Number(geo.latitude)) &&
    Number.isFinite(Number(geo.longitude))
  );
}
