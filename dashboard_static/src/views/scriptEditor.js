// Script editor: create or update a script in a highlighted editor (Bash / PowerShell), see its
// version and checksum, its findings, and its version history (view or diff any version). Viewers
// get a read-only editor and no actions. Unsaved text survives a re-login (draft in sessionStorage).
import { api } from "../core/api.js";
import { field, h, setText } from "../core/dom.js";
import { bindText, bindTime, t } from "../core/i18n.js";
import { can } from "../core/roles.js";
import { formatBytes } from "../core/format.js";
import { aiPanel } from "../ui/aiPanel.js";
import { copyButton } from "../ui/copy.js";
import { confirmDialog, openModal } from "../ui/dialog.js";
import { createEditor, createViewer } from "../ui/editor.js";
import { findingsList } from "../ui/findings.js";
import { card, errorBox, loading, pageHeader } from "../ui/page.js";
import { statusBadge, updateStatusBadge } from "../ui/status.js";
import { toast } from "../ui/toast.js";

const DRAFT_KEY = "edgex.draft";
const TEMPLATES = {
  bash: '#!/usr/bin/env bash\nset -euo pipefail\n\necho "Hello from $(hostname)"\n',
  powershell: '$ErrorActionPreference = "Stop"\n\nWrite-Output "Hello from $env:COMPUTERNAME"\n',
};

function takeDraft(key) {
  try {
    const draft = JSON.parse(sessionStorage.getItem(DRAFT_KEY) || "null");
    if (draft && draft.key === key) {
      sessionStorage.removeItem(DRAFT_KEY);
      return draft;
    }
  } catch {
    /* no usable draft */
  }
  return null;
}

export function mountScriptEditor(container, params) {
  let scriptId = params.id ? Number(params.id) : null;
  const editable = can("operator");
  let script = null;
  let savedContent = "";
  let savedName = "";
  let savedDescription = "";
  let editor = null;
  let alive = true;
  let saving = false;
  const holder = h("div", { class: "view-holder" }, loading());
  container.append(holder);

  const errors = errorBox();
  const name = h("input", { class: "input", name: "name", maxlength: "200", required: true, autocomplete: "off", readonly: !editable, "data-testid": "script-name" });
  const type = h(
    "select",
    { class: "input", name: "type", disabled: !editable || scriptId !== null, "data-testid": "script-type" },
    h("option", { value: "bash", t: "status.scriptType.bash" }),
    h("option", { value: "powershell", t: "status.scriptType.powershell" }),
  );
  const description = h("input", { class: "input", name: "description", maxlength: "2000", autocomplete: "off", readonly: !editable, "data-testid": "script-description" });
  const dirtyFlag = h("span", { class: "dirty-flag", hidden: true, t: "scripts.unsaved", role: "status", "data-testid": "dirty-flag" });
  const title = h("h1", { "data-testid": "page-title" });
  const versionBadge = h("span", { class: "pill mono", hidden: true, "data-testid": "script-version" });
  const actions = h("div", { class: "page-actions" }, dirtyFlag);
  const saveBtn = editable ? h("button", { type: "button", class: "btn btn--primary", t: "actions.save", "data-testid": "save-script", "aria-keyshortcuts": "Control+S" }) : null;
  const deployLink = editable ? h("a", { class: "btn", t: "scripts.deploy", hidden: true, "data-testid": "deploy-script" }) : null;
  const deleteBtn = editable ? h("button", { type: "button", class: "btn btn--ghost", t: "actions.delete", hidden: true, "data-testid": "delete-script" }) : null;
  if (editable) actions.append(deleteBtn, deployLink, saveBtn);

  const details = h("dl", { class: "facts", "data-testid": "script-details" });
  const findingsBox = h("div", {});
  const versionsList = h("ol", { class: "versions", "data-testid": "versions" });
  const versionsError = errorBox();
  const editorSlot = h("div", { class: "editor-slot" });
  const draftNotice = h("p", { class: "notice", role: "status", hidden: true, t: "scripts.draftRestored" });

  const isDirty = () =>
    editor !== null && editable && (editor.getValue() !== savedContent || name.value !== savedName || description.value !== savedDescription);
  const syncDirty = () => {
    dirtyFlag.hidden = !isDirty();
  };
  name.addEventListener("input", syncDirty);
  description.addEventListener("input", syncDirty);
  type.addEventListener("change", () => {
    if (!editor) return;
    const other = type.value === "bash" ? "powershell" : "bash";
    if (editor.getValue() === TEMPLATES[other]) editor.setValue(TEMPLATES[type.value]);
    editor.setType(type.value);
  });

  function setTitle() {
    if (script) {
      delete title.dataset.i18n;
      setText(title, script.name);
    } else bindText(title, "scripts.new");
  }

  function renderDetails() {
    const s = script;
    if (!s) {
      details.replaceChildren(h("dt", { t: "scripts.fields.version" }), h("dd", { t: "scripts.notSavedYet" }));
      findingsBox.replaceChildren(h("p", { class: "muted", t: "findings.afterSave" }));
      return;
    }
    versionBadge.hidden = false;
    setText(versionBadge, `v${s.version}`);
    const created = h("time", {});
    bindTime(created, s.created_at);
    const updated = h("time", {});
    bindTime(updated, s.updated_at || s.created_at);
    details.replaceChildren(
      h("dt", { t: "scripts.fields.type" }),
      h("dd", {}, statusBadge("scriptType", s.type)),
      h("dt", { t: "scripts.fields.version" }),
      h("dd", { class: "mono", text: `v${s.version} (#${s.version_no})` }),
      h("dt", { t: "scripts.fields.checksum" }),
      h("dd", { class: "checksum-row" }, h("span", { class: "mono checksum", text: s.checksum, "data-testid": "script-checksum" }), copyButton(s.checksum)),
      h("dt", { t: "scripts.fields.size" }),
      h("dd", { text: formatBytes(s.size) }),
      h("dt", { t: "common.createdBy" }),
      h("dd", { text: s.created_by || "—" }),
      h("dt", { t: "common.createdAt" }),
      h("dd", {}, created),
      h("dt", { t: "common.updatedAt" }),
      h("dd", {}, updated),
    );
    findingsBox.replaceChildren(findingsList(s.findings || []));
    if (deployLink) {
      deployLink.hidden = false;
      deployLink.setAttribute("href", `#/deployments/new?script=${s.id}`);
    }
    if (deleteBtn) deleteBtn.hidden = false;
  }

  async function loadVersions() {
    if (!scriptId) {
      versionsList.replaceChildren(h("li", { class: "muted", t: "scripts.noVersions" }));
      return;
    }
    try {
      const versions = await api.listAll(`/v1/admin/scripts/${scriptId}/versions`, { limit: 100, maxItems: 1000 });
      versionsError.clear();
      versions.sort((a, b) => (b.version_no || 0) - (a.version_no || 0));
      versionsList.replaceChildren(
        ...versions.map((v, index) => {
          const when = h("time", {});
          bindTime(when, v.created_at);
          const viewBtn = h("button", { type: "button", class: "btn btn--small", t: "scripts.viewVersion", "data-testid": "view-version" });
          const diffBtn = h("button", { type: "button", class: "btn btn--small", t: "scripts.diffVersion", "data-testid": "diff-version" });
          viewBtn.addEventListener("click", () => openVersion(v, "view"));
          diffBtn.addEventListener("click", () => openVersion(v, "diff", versions[index + 1] || null));
          return h(
            "li",
            { class: "version", "data-testid": "version-row" },
            h("div", { class: "version-head" }, h("strong", { class: "mono", text: `v${v.version}` }), index === 0 ? h("span", { class: "pill pill--ok", t: "scripts.latest" }) : null),
            h("div", { class: "muted small" }, when, " · ", h("span", { text: v.created_by || "" }), " · ", h("span", { class: "mono", text: (v.checksum || "").slice(0, 12), title: v.checksum || "" })),
            h("div", { class: "version-actions" }, viewBtn, diffBtn),
          );
        }),
      );
    } catch (err) {
      versionsError.show(err);
    }
  }

  async function fetchVersion(v) {
    return api.text(`/v1/admin/scripts/${scriptId}/versions/${encodeURIComponent(v.version)}`);
  }

  async function openVersion(v, mode, previous) {
    const body = h("div", { class: "version-modal" }, loading());
    const { close } = openModal({ titleText: `${script ? script.name : ""} · v${v.version}`, content: body, wide: true });
    try {
      const text = await fetchVersion(v);
      body.replaceChildren();
      const tabs = h("div", { class: "tabs", role: "group" });
      const pane = h("div", { class: "version-pane" });
      const buttons = {};
      const show = async (which) => {
        for (const [k, b] of Object.entries(buttons)) b.setAttribute("aria-pressed", String(k === which));
        pane.replaceChildren(loading());
        try {
          if (which === "view") {
            pane.replaceChildren();
            await createViewer(pane, { doc: text, type: script.type });
          } else {
            const { renderDiff } = await import("../ui/diff.js");
            const other = which === "diffPrev" ? (previous ? await fetchVersion(previous) : "") : editor.getValue();
            const result = which === "diffPrev" ? renderDiff(other, text) : renderDiff(text, other);
            pane.replaceChildren(
              h("p", { class: "muted", t: [which === "diffPrev" ? "scripts.diffAgainstPrevious" : "scripts.diffAgainstEditor", { version: previous ? previous.version : "—", added: result.added, removed: result.removed }] }),
              result.node,
            );
          }
        } catch (err) {
          const box = errorBox();
          box.show(err);
          pane.replaceChildren(box.el);
        }
      };
      for (const [key, label] of [["view", "scripts.tabContent"], ["diffPrev", "scripts.tabDiffPrevious"], ["diffEditor", "scripts.tabDiffEditor"]]) {
        buttons[key] = h("button", { type: "button", class: "tab", t: label, "aria-pressed": "false", "data-testid": `version-tab-${key}` });
        buttons[key].addEventListener("click", () => show(key));
        tabs.append(buttons[key]);
      }
      const footer = h("div", { class: "modal-actions" });
      if (editable) {
        const restore = h("button", { type: "button", class: "btn", t: "scripts.loadIntoEditor", "data-testid": "restore-version" });
        restore.addEventListener("click", () => {
          editor.setValue(text);
          close();
          toast("info", t("scripts.loadedVersion", { version: v.version }));
        });
        footer.append(restore);
      }
      body.append(tabs, pane, footer);
      await show(mode === "diff" ? "diffPrev" : "view");
    } catch (err) {
      const box = errorBox();
      box.show(err);
      body.replaceChildren(box.el);
    }
  }

  async function save() {
    if (!editable || saving) return;
    errors.clear();
    const content = editor.getValue();
    if (!name.value.trim()) {
      errors.show(t("scripts.validation.name"));
      name.focus();
      return;
    }
    if (!content.trim()) {
      errors.show(t("scripts.validation.content"));
      return;
    }
    if (new Blob([content]).size > 1024 * 1024) {
      errors.show(t("scripts.validation.size"));
      return;
    }
    saving = true;
    saveBtn.disabled = true;
    bindText(saveBtn, "actions.saving");
    try {
      if (scriptId) {
        const body = { content };
        if (name.value.trim() !== savedName) body.name = name.value.trim();
        if (description.value !== savedDescription) body.description = description.value;
        script = await api.put(`/v1/admin/scripts/${scriptId}`, body);
      } else {
        const body = { name: name.value.trim(), type: type.value, content };
        if (description.value.trim()) body.description = description.value.trim();
        script = await api.post("/v1/admin/scripts", body);
        scriptId = script.id;
        type.disabled = true;
        // Stay in this view (editor state, undo history, focus) and fix the address.
        history.replaceState(null, "", `#/scripts/${scriptId}`);
      }
      savedContent = content;
      savedName = script.name;
      savedDescription = script.description || "";
      syncDirty();
      setTitle();
      renderDetails();
      loadVersions();
      toast("success", t("scripts.saved", { version: script.version }));
    } catch (err) {
      errors.show(err);
    } finally {
      saving = false;
      saveBtn.disabled = false;
      bindText(saveBtn, "actions.save");
    }
  }

  async function remove() {
    const ok = await confirmDialog({ titleKey: "scripts.deleteTitle", bodyKey: "scripts.deleteBody", bodyParams: { name: script.name }, confirmKey: "actions.delete", danger: true });
    if (!ok) return;
    errors.clear();
    try {
      await api.del(`/v1/admin/scripts/${scriptId}`);
      savedContent = editor.getValue();
      savedName = name.value;
      savedDescription = description.value;
      toast("success", t("scripts.deleted", { name: script.name }));
      location.hash = "#/scripts";
    } catch (err) {
      errors.show(err);
    }
  }

  if (saveBtn) saveBtn.addEventListener("click", save);
  if (deleteBtn) deleteBtn.addEventListener("click", remove);

  async function init() {
    let content = TEMPLATES.bash;
    if (scriptId) {
      try {
        [script, content] = await Promise.all([api.get(`/v1/admin/scripts/${scriptId}`), api.text(`/v1/admin/scripts/${scriptId}/content`)]);
      } catch (err) {
        errors.show(err);
        holder.replaceWith(pageHeader("scripts.edit"), errors.el);
        return;
      }
      name.value = script.name;
      description.value = script.description || "";
      type.value = script.type;
    }
    if (!alive) return;
    savedContent = content;
    savedName = name.value;
    savedDescription = description.value;
    const draft = editable ? takeDraft(`script:${scriptId || "new"}`) : null;
    if (draft) {
      content = draft.content;
      name.value = draft.name;
      description.value = draft.description;
      if (!scriptId) type.value = draft.type;
      draftNotice.hidden = false;
    }
    setTitle();
    const header = h("header", { class: "page-header" }, h("div", { class: "page-heading" }, h("a", { href: "#/scripts", class: "back-link", t: "scripts.back" }), h("div", { class: "title-row" }, title, versionBadge)), actions);
    const side = h(
      "div",
      { class: "side-col" },
      card("scripts.details", details),
      card("findings.title", findingsBox, { testid: "findings-card" }),
      card("scripts.history", [versionsError.el, versionsList], { testid: "versions-card" }),
    );
    const mainCol = h(
      "div",
      { class: "main-col-inner" },
      card(null, [
        draftNotice,
        errors.el,
        h("div", { class: "form-grid" }, field("scripts.fields.name", name), field("scripts.fields.type", type), field("scripts.fields.description", description)),
        h("div", { class: "editor-label", id: "editor-label" }, h("span", { t: "scripts.content" }), editable ? h("span", { class: "muted small", t: "scripts.editorKeys" }) : h("span", { class: "pill", t: "common.readOnly" })),
        editorSlot,
      ], { testid: "editor-card" }),
      editable ? aiPanel({ getCode: () => editor.getValue(), setCode: (text) => editor.setValue(text), getType: () => type.value }) : null,
    );
    holder.replaceWith(header, h("div", { class: "editor-grid" }, mainCol, side));
    renderDetails();
    loadVersions();
    editor = await createEditor(editorSlot, {
      doc: content,
      type: type.value,
      readOnly: !editable,
      labelKey: "scripts.editorLabel",
      onChange: syncDirty,
      onSave: save,
      testid: "script-editor",
    });
    if (!alive) {
      editor.destroy();
      return;
    }
    syncDirty();
    // Focus the name of a new script, unless the user is already typing somewhere.
    const idle = !document.activeElement || document.activeElement === document.body || document.activeElement.id === "main";
    if (!scriptId && editable && idle) name.focus();
  }
  init();

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
    saveDraft() {
      if (!isDirty()) return;
      sessionStorage.setItem(
        DRAFT_KEY,
        JSON.stringify({ key: `script:${scriptId || "new"}`, content: editor.getValue(), name: name.value, description: description.value, type: type.value }),
      );
    },
  };
}
