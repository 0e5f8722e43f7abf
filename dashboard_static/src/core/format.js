// Formatting of data values (not UI copy): sizes, checksums, locations.

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

export function locationText(geo) {
  if (!geo) return "";
  const parts = [geo.city, geo.region && geo.region !== geo.city ? geo.region : null, geo.country].filter(Boolean);
  return parts.join(", ");
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
