// Notifications in a polite live region (errors use role="alert" so screen readers announce them).
import { h } from "../core/dom.js";

let region = null;

function ensureRegion() {
  if (!region) {
    region = h("div", { class: "toasts", "aria-live": "polite" });
    document.body.append(region);
  }
  return region;
}

/** kind: success | error | info. message: literal text (already translated). */
export function toast(kind, message, { timeout = kind === "error" ? 10000 : 4000 } = {}) {
  const close = h("button", { class: "toast-close", type: "button", tAttr: { "aria-label": "actions.dismiss" } }, "×");
  const node = h(
    "div",
    { class: `toast toast--${kind}`, role: kind === "error" ? "alert" : "status", "data-testid": `toast-${kind}` },
    h("span", { class: "toast-text", text: message }),
    close,
  );
  const remove = () => node.remove();
  close.addEventListener("click", remove);
  ensureRegion().append(node);
  if (timeout) setTimeout(remove, timeout);
  return remove;
}
