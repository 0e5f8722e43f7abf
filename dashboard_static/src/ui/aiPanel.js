// The AI assistant panel: generate / refactor / audit / explain, answers put into the editor on
// request (never silently). Errors (AI_UNAVAILABLE locally) are shown in words.
import { api } from "../core/api.js";
import { field, h } from "../core/dom.js";
import { bindText, t } from "../core/i18n.js";
import { findingsList } from "./findings.js";
import { errorBox } from "./page.js";
import { toast } from "./toast.js";

const MODES = ["generate", "refactor", "audit", "explain"];

export function aiPanel({ getCode, setCode, getType }) {
  const mode = h("select", { class: "input", name: "mode", "data-testid": "ai-mode" }, MODES.map((m) => h("option", { value: m, t: `ai.modes.${m}` })));
  const prompt = h("textarea", { class: "input", rows: "3", maxlength: "8000", name: "prompt", "data-testid": "ai-prompt", tAttr: { placeholder: "ai.promptPlaceholder" } });
  const run = h("button", { type: "submit", class: "btn btn--primary", t: "ai.run", "data-testid": "ai-run" });
  const errors = errorBox();
  const result = h("div", { class: "ai-result", hidden: true, "data-testid": "ai-result", "aria-live": "polite" });
  const modeHint = h("p", { class: "hint" });
  const syncHint = () => bindText(modeHint, `ai.hints.${mode.value}`);
  mode.addEventListener("change", syncHint);
  syncHint();

  const form = h(
    "form",
    { class: "form ai-form" },
    h("div", { class: "form-grid form-grid--ai" }, field("ai.mode", mode), field("ai.prompt", prompt)),
    modeHint,
    errors.el,
    h("div", { class: "form-actions" }, run),
    result,
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.clear();
    const m = mode.value;
    const code = getCode();
    if (m === "generate" && !prompt.value.trim()) {
      errors.show(t("ai.needPrompt"));
      return;
    }
    if (m !== "generate" && !code.trim()) {
      errors.show(t("ai.needCode"));
      return;
    }
    run.disabled = true;
    bindText(run, "ai.running");
    try {
      const body = { mode: m, type: getType(), prompt: prompt.value.trim() || t(`ai.defaultPrompts.${m}`) };
      if (m !== "generate") body.code = code;
      const answer = await api.post("/v1/admin/ai/process", body);
      showResult(answer);
    } catch (err) {
      errors.show(err);
    } finally {
      run.disabled = false;
      bindText(run, "ai.run");
    }
  });

  function showResult(answer) {
    result.hidden = false;
    result.replaceChildren();
    if (answer.truncated) result.append(h("p", { class: "notice notice--warn", t: "ai.truncated" }));
    if (answer.text) result.append(h("div", { class: "ai-text", text: answer.text }));
    if (answer.findings) result.append(findingsList(answer.findings));
    if (answer.code) {
      const useBtn = h("button", { type: "button", class: "btn btn--primary btn--small", t: "ai.putInEditor", "data-testid": "ai-use" });
      useBtn.addEventListener("click", () => {
        setCode(answer.code);
        toast("success", t("ai.inserted"));
      });
      result.append(h("div", { class: "one-liner-head" }, h("h3", { t: "ai.code" }), useBtn), h("pre", { class: "code-block" }, h("code", { class: "mono", text: answer.code })));
    }
    const usage = answer.usage || {};
    const meta = h("p", { class: "muted small", t: ["ai.usage", { model: answer.model_id || "—", input: usage.input_tokens ?? 0, output: usage.output_tokens ?? 0 }] });
    result.append(meta);
  }

  return h("section", { class: "card glass ai-panel", "data-testid": "ai-panel" }, h("div", { class: "card-head" }, h("h2", { t: "ai.title" })), form);
}
