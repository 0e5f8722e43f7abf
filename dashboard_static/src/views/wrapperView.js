// Wrapper templates (Bash / PowerShell): the helper code put around every script. Admins edit or
// reset to default; everyone sees the current template and its change log. Deployments keep the
// snapshot taken at their creation, which the page says.
import { api } from "../core/api.js";
import { h, setText } from "../core/dom.js";
import { bindText, bindTime, t } from "../core/i18n.js";
import { can } from "../core/roles.js";
import { formatBytes } from "../core/format.js";
import { confirmDialog } from "../ui/dialog.js";
import { createEditor } from "../ui/editor.js";
import { card, emptyRow, errorBox, loading, pageHeader } from "../ui/page.js";
import { statusBadge } from "../ui/status.js";
import { toast } from "../ui/toast.js";

export function mountWrapper(container, params) {
  const type = params.type || "bash";
  const editable = can("admin");
  const errors = errorBox();
  const logErrors = errorBox();
  let editor = null;
  let saved = "";
  let alive = true;

  const tabs = h(
    "nav",
    { class: "tabs", tAttr: { "aria-label": "wrapper.types" } },
    ["bash", "ps1"].map((k) => h("a", { href: `#/wrapper/${k}`, class: "tab", "aria-current": k === type ? "page" : null, t: `wrapper.type.${k}`, "data-testid": `wrapper-tab-${k}` })),
  );
  const info = h("dl", { class: "facts facts--inline", "data-testid": "wrapper-info" });
  const dirtyFlag = h("span", { class: "dirty-flag", hidden: true, t: "scripts.unsaved", role: "status" });
  const saveBtn = editable ? h("button", { type: "button", class: "btn btn--primary", t: "actions.save", "data-testid": "save-wrapper" }) : null;
  const resetBtn = editable ? h("button", { type: "button", class: "btn btn--ghost", t: "wrapper.reset", "data-testid": "reset-wrapper" }) : null;
  const slot = h("div", { class: "editor-slot" }, loading());
  const logBody = h("tbody", {}, emptyRow(5, "common.loading"));
  const logTable = h(
    "table",
    { class: "table", "data-testid": "wrapper-log" },
    h("thead", {}, h("tr", {}, ["timestamp", "actor", "action", "sizeBefore", "sizeAfter"].map((c) => h("th", { scope: "col", t: `wrapper.columns.${c}` })))),
    logBody,
  );

  container.append(
    pageHeader("nav.wrapper", { actions: [dirtyFlag, resetBtn, saveBtn], subtitle: h("p", { class: "muted", t: "wrapper.snapshotNote" }) }),
    tabs,
    errors.el,
    card(null, [info, slot], { testid: "wrapper-card" }),
    card("wrapper.changeLog", [logErrors.el, h("div", { class: "table-wrap" }, logTable)]),
  );

  const isDirty = () => editor !== null && editable && editor.getValue() !== saved;
  const syncDirty = () => {
    dirtyFlag.hidden = !isDirty();
  };

  function renderInfo(w) {
    const when = h("time", {});
    bindTime(when, w.updated_at, "short");
    info.replaceChildren(
      h("dt", { t: "wrapper.state" }),
      h("dd", {}, statusBadge("wrapper", w.is_default ? "default" : "custom")),
      h("dt", { t: "common.updatedAt" }),
      h("dd", {}, w.updated_at ? when : "—"),
      h("dt", { t: "common.updatedBy" }),
      h("dd", { text: w.updated_by || "—" }),
      h("dt", { t: "scripts.fields.size" }),
      h("dd", { text: formatBytes(new Blob([w.content || ""]).size) }),
    );
  }

  async function loadLog() {
    try {
      const items = await api.listAll(`/v1/admin/wrapper/${type}/logs`, { limit: 100, maxItems: 500 });
      logErrors.clear();
      logBody.replaceChildren(
        ...(items.length
          ? items.map((e) => {
              const when = h("time", {});
              bindTime(when, e.timestamp, "short");
              return h("tr", {}, h("td", {}, when), h("td", { text: e.actor || "—" }), h("td", {}, statusBadge("wrapperAction", e.action)), h("td", { class: "num", text: formatBytes(e.size_before) }), h("td", { class: "num", text: formatBytes(e.size_after) }));
            })
          : [emptyRow(5, "wrapper.noChanges")]),
      );
    } catch (err) {
      logBody.replaceChildren();
      logErrors.show(err);
    }
  }

  async function load() {
    const w = await api.get(`/v1/admin/wrapper/${type}`);
    saved = w.content || "";
    renderInfo(w);
    return w;
  }

  if (saveBtn)
    saveBtn.addEventListener("click", async () => {
      errors.clear();
      const content = editor.getValue();
      if (!content.trim()) {
        errors.show(t("wrapper.validation.empty"));
        return;
      }
      saveBtn.disabled = true;
      bindText(saveBtn, "actions.saving");
      try {
        const w = await api.put(`/v1/admin/wrapper/${type}`, { content });
        saved = w && typeof w.content === "string" ? w.content : content;
        if (w) renderInfo(w);
        syncDirty();
        toast("success", t("wrapper.saved"));
        loadLog();
      } catch (err) {
        errors.show(err);
      } finally {
        saveBtn.disabled = false;
        bindText(saveBtn, "actions.save");
      }
    });
  if (resetBtn)
    resetBtn.addEventListener("click", async () => {
      const ok = await confirmDialog({ titleKey: "wrapper.resetTitle", bodyKey: "wrapper.resetBody", confirmKey: "wrapper.reset", danger: true });
      if (!ok) return;
      errors.clear();
      try {
        await api.del(`/v1/admin/wrapper/${type}`);
        await load();
        editor.setValue(saved);
        syncDirty();
        toast("success", t("wrapper.resetDone"));
        loadLog();
      } catch (err) {
        errors.show(err);
      }
    });

  (async () => {
    try {
      await load();
    } catch (err) {
      slot.replaceChildren();
      errors.show(err);
      loadLog();
      return;
    }
    if (!alive) return;
    slot.replaceChildren();
    editor = await createEditor(slot, { doc: saved, type: type === "ps1" ? "powershell" : "bash", readOnly: !editable, labelKey: "wrapper.editorLabel", onChange: syncDirty, onSave: () => saveBtn && saveBtn.click(), testid: "wrapper-editor" });
    if (!alive) editor.destroy();
    loadLog();
  })();

  return {
    unmount() {
      alive = false;
      if (editor) editor.destroy();
    },
    isDirty,
    async canLeave() {
      if (!isDirty()) return true;
      return confirmDialog({ titleKey: "scripts.leaveTitle", bodyKey: "scripts.leaveBody", confirmKey: "scripts.discard", danger: true });
    },
  };
}
