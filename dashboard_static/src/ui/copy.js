// Copy-to-clipboard buttons with visible confirmation (and a fallback when the API is denied).
import { h } from "../core/dom.js";
import { bindText } from "../core/i18n.js";
import { toast } from "./toast.js";
import { t } from "../core/i18n.js";

async function writeClipboard(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = h("textarea", { class: "visually-hidden", readonly: true });
  area.value = text;
  document.body.append(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("copy refused");
}

export function copyButton(getText, labelKey = "actions.copy", extra = {}) {
  const btn = h("button", { class: "btn btn--small", type: "button", t: labelKey, ...extra });
  btn.addEventListener("click", async () => {
    try {
      await writeClipboard(typeof getText === "function" ? getText() : getText);
      bindText(btn, "actions.copied");
      setTimeout(() => bindText(btn, labelKey), 1800);
    } catch (err) {
      toast("error", `${t("errors.copyFailed")} — ${err.message}`);
    }
  });
  return btn;
}
