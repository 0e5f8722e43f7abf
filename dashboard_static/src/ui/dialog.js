// Modal dialogs built on <dialog> (focus trapping and Escape come from the browser).
import { h } from "../core/dom.js";

/** Asks a yes/no question; resolves true when confirmed. Keys are i18n keys. */
export function confirmDialog({ titleKey, bodyKey, bodyParams = {}, confirmKey = "actions.confirm", cancelKey = "actions.cancel", danger = false }) {
  return new Promise((resolve) => {
    const confirm = h("button", { class: ["btn", danger ? "btn--danger" : "btn--primary"], type: "submit", value: "yes", t: confirmKey });
    const cancel = h("button", { class: "btn", type: "button", t: cancelKey });
    const dialog = h(
      "dialog",
      { class: "modal", "aria-labelledby": "confirm-title" },
      h(
        "form",
        { method: "dialog" },
        h("h2", { id: "confirm-title", t: titleKey }),
        h("p", { t: [bodyKey, bodyParams] }),
        h("div", { class: "modal-actions" }, cancel, confirm),
      ),
    );
    let result = false;
    confirm.addEventListener("click", () => {
      result = true;
    });
    cancel.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

/** A modal with arbitrary content; returns {dialog, close}. */
export function openModal({ titleKey, titleText, content, wide = false, onClose }) {
  const title = h("h2", titleKey ? { t: titleKey, id: "modal-title" } : { text: titleText, id: "modal-title" });
  const closeBtn = h("button", { class: "btn btn--ghost modal-x", type: "button", tAttr: { "aria-label": "actions.close" } }, "×");
  const dialog = h(
    "dialog",
    { class: ["modal", wide ? "modal--wide" : null], "aria-labelledby": "modal-title" },
    h("div", { class: "modal-head" }, title, closeBtn),
    h("div", { class: "modal-body" }, content),
  );
  closeBtn.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (onClose) onClose();
  });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, close: () => dialog.close() };
}
