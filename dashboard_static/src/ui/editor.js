// The script editor component: loads CodeMirror on first use (a separate chunk) and exposes a small
// handle. The aria-label follows the language switch.
import { h } from "../core/dom.js";
import { onLanguageChange, t } from "../core/i18n.js";

let loader = null;
function loadCodeMirror() {
  loader ??= import("./codemirror.js");
  return loader;
}

/**
 * Creates an editor inside a new .code-editor element appended to parent.
 * options: {doc, type: bash|powershell|ps1, readOnly, labelKey, onChange, onSave, testid}
 */
export async function createEditor(parent, options) {
  const host = h("div", { class: "code-editor", "data-testid": options.testid || "code-editor" });
  const loading = h("p", { class: "muted", t: "common.loadingEditor" });
  host.append(loading);
  parent.append(host);
  const { mountCodeMirror } = await loadCodeMirror();
  loading.remove();
  const labelKey = options.labelKey || "scripts.editorLabel";
  const handle = mountCodeMirror(host, { ...options, label: t(labelKey) });
  const off = onLanguageChange(() => handle.setLabel(t(labelKey)));
  const destroy = handle.destroy;
  handle.destroy = () => {
    off();
    destroy();
  };
  handle.host = host;
  return handle;
}

/** A read-only highlighted view of code (version viewer). */
export function createViewer(parent, { doc, type, labelKey = "scripts.versionContent" }) {
  return createEditor(parent, { doc, type, readOnly: true, labelKey, testid: "code-viewer" });
}
