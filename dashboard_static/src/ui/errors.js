// Turns any failure into words for the user: a translated sentence for the codes we know, the
// server's own message otherwise, and the code for support.
import { ApiError } from "../core/api.js";
import { has, t } from "../core/i18n.js";

export function errorText(err) {
  if (err instanceof ApiError) {
    // A validation error names the field and the rule: the server's words say more than ours.
    if (err.code === "VALIDATION_ERROR" && err.field && err.message) return `${err.message} (${err.code})`;
    const key = `errors.${err.code}`;
    const known = has(key) ? t(key) : null;
    if (known) return `${known} (${err.code})`;
    return `${err.message || t("errors.generic")} (${err.code})`;
  }
  if (err && err.code && has(`errors.${err.code}`)) return `${t(`errors.${err.code}`)}${err.message && err.message !== err.code ? ` — ${err.message}` : ""}`;
  return `${t("errors.generic")}${err && err.message ? ` — ${err.message}` : ""}`;
}
