// Status shown by colour and by text (never colour alone).
import { h } from "../core/dom.js";
import { bindText, has } from "../core/i18n.js";

export function statusBadge(kind, status) {
  const el = h("span", { class: "badge" });
  updateStatusBadge(el, kind, status);
  return el;
}

/** kind: target | deployment | log | outcome | severity. */
export function updateStatusBadge(el, kind, status) {
  const value = status || "unknown";
  const cls = `badge badge--${value}`;
  if (el.className !== cls) el.className = cls;
  if (el.dataset.status !== value) {
    el.dataset.status = value;
    const key = `status.${kind}.${value}`;
    if (has(key)) bindText(el, key);
    else {
      delete el.dataset.i18n; // an unknown value from the server is shown as it is
      el.textContent = value;
    }
  }
}
