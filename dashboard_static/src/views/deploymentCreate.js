// Create a deployment: script, name, expected machines, expiry (hours or permanent). Scripts with
// security findings need an explicit acknowledgement. On success the one-liners (with the master
// token, shown once) are handed to the detail view in memory.
import { api } from "../core/api.js";
import { field, h } from "../core/dom.js";
import { bindText, onLanguageChange, t } from "../core/i18n.js";
import { can } from "../core/roles.js";
import { rememberOneLiners } from "../core/store.js";
import { findingsList } from "../ui/findings.js";
import { card, errorBox, loading, pageHeader } from "../ui/page.js";

export function mountDeploymentCreate(container) {
  if (!can("operator")) {
    container.append(pageHeader("deployments.create"), h("div", { class: "card glass" }, h("p", { t: "errors.FORBIDDEN" })));
    return { unmount() {} };
  }
  const wait = loading();
  container.append(pageHeader("deployments.create"), wait);
  const errors = errorBox();
  let scripts = [];
  let offLang = () => {};

  const scriptSelect = h("select", { class: "input", name: "script_id", required: true, "data-testid": "script-select" });
  const name = h("input", { class: "input", name: "name", required: true, maxlength: "200", autocomplete: "off", "data-testid": "deployment-name" });
  const description = h("textarea", { class: "input", name: "description", rows: "2", maxlength: "2000" });
  const expected = h("input", { class: "input", name: "expected_machines", type: "number", min: "1", max: "100000", step: "1", value: "1", required: true, "data-testid": "expected-machines" });
  const hours = h("input", { class: "input input--small", name: "expires_hours", type: "number", min: "1", max: "8760", step: "1", value: "24", "data-testid": "expires-hours" });
  const expiresMode = h("input", { type: "radio", name: "expiry", value: "hours", checked: true, id: "expiry-hours" });
  const permanentMode = h("input", { type: "radio", name: "expiry", value: "permanent", id: "expiry-permanent", "data-testid": "expiry-permanent" });
  const scriptInfo = h("div", { class: "script-info", "data-testid": "script-info" });
  const ack = h("input", { type: "checkbox", id: "ack-findings", name: "acknowledge_findings", "data-testid": "ack-findings" });
  const ackRow = h("div", { class: "field field--check", hidden: true }, ack, h("label", { for: "ack-findings", t: "deployments.acknowledgeFindings" }));
  const submit = h("button", { type: "submit", class: "btn btn--primary", t: "deployments.createSubmit", "data-testid": "create-deployment" });

  const syncExpiry = () => {
    hours.disabled = permanentMode.checked;
  };
  expiresMode.addEventListener("change", syncExpiry);
  permanentMode.addEventListener("change", syncExpiry);

  function showScript() {
    const s = scripts.find((x) => String(x.id) === scriptSelect.value);
    scriptInfo.replaceChildren();
    ackRow.hidden = true;
    if (!s) return;
    scriptInfo.append(
      h(
        "dl",
        { class: "facts" },
        h("dt", { t: "scripts.fields.version" }),
        h("dd", { class: "mono", text: `v${s.version}` }),
        h("dt", { t: "scripts.fields.checksum" }),
        h("dd", { class: "mono checksum", text: s.checksum || "" }),
      ),
      findingsList(s.findings || []),
    );
    ackRow.hidden = !(s.findings && s.findings.length);
    ack.checked = false;
  }
  scriptSelect.addEventListener("change", showScript);

  const form = h(
    "form",
    { class: "form", novalidate: true, "data-testid": "deployment-form" },
    errors.el,
    h("div", { class: "form-grid" }, field("deployments.fields.script", scriptSelect), field("deployments.fields.name", name), field("deployments.fields.expected", expected, "deployments.hints.expected")),
    field("deployments.fields.description", description),
    h(
      "fieldset",
      { class: "fieldset" },
      h("legend", { t: "deployments.fields.expiry" }),
      h("div", { class: "radio-row" }, expiresMode, h("label", { for: "expiry-hours", t: "deployments.expiresAfter" }), hours, h("span", { class: "muted", t: "deployments.hours" })),
      h("div", { class: "radio-row" }, permanentMode, h("label", { for: "expiry-permanent", t: "deployments.permanent" })),
    ),
    scriptInfo,
    ackRow,
    h("div", { class: "form-actions" }, h("a", { href: "#/deployments", class: "btn", t: "actions.cancel" }), submit),
  );
  hours.setAttribute("aria-label", t("deployments.hours"));
  offLang = onLanguageChange(() => hours.setAttribute("aria-label", t("deployments.hours")));

  function validate() {
    if (!scriptSelect.value) return "deployments.validation.script";
    if (!name.value.trim()) return "deployments.validation.name";
    const n = Number(expected.value);
    if (!Number.isInteger(n) || n < 1 || n > 100000) return "deployments.validation.expected";
    if (!permanentMode.checked) {
      const hrs = Number(hours.value);
      if (!Number.isInteger(hrs) || hrs < 1 || hrs > 8760) return "deployments.validation.hours";
    }
    const s = scripts.find((x) => String(x.id) === scriptSelect.value);
    if (s && s.findings && s.findings.length && !ack.checked) return "deployments.validation.acknowledge";
    return null;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.clear();
    const problem = validate();
    if (problem) {
      errors.show(t(problem));
      return;
    }
    submit.disabled = true;
    bindText(submit, "deployments.creating");
    try {
      const body = {
        script_id: Number(scriptSelect.value),
        name: name.value.trim(),
        expected_machines: Number(expected.value),
        expires_hours: permanentMode.checked ? null : Number(hours.value),
      };
      if (description.value.trim()) body.description = description.value.trim();
      if (ack.checked) body.acknowledge_findings = true;
      const created = await api.post("/v1/admin/deployments", body);
      rememberOneLiners(created.id, { ...(created.one_liners || {}), master_token: created.master_token });
      location.hash = `#/deployments/${created.id}`;
    } catch (err) {
      errors.show(err);
      if (err.code === "FINDINGS_NOT_ACKNOWLEDGED") ackRow.hidden = false;
    } finally {
      submit.disabled = false;
      bindText(submit, "deployments.createSubmit");
    }
  });

  (async () => {
    try {
      scripts = await api.listAll("/v1/admin/scripts", { limit: 100, maxItems: 2000 });
    } catch (err) {
      wait.replaceWith(card(null, errors.el));
      errors.show(err);
      return;
    }
    const preselect = new URLSearchParams(location.hash.split("?")[1] || "").get("script");
    scriptSelect.append(h("option", { value: "", t: "deployments.chooseScript" }));
    for (const s of scripts) scriptSelect.append(h("option", { value: String(s.id), text: `${s.name} (${s.type}, v${s.version})` }));
    if (preselect) scriptSelect.value = preselect;
    if (!scripts.length) errors.show(t("deployments.noScripts"));
    wait.replaceWith(card(null, form, { testid: "deployment-create" }));
    showScript();
    if (!document.activeElement || document.activeElement === document.body || document.activeElement.id === "main") name.focus();
  })();

  return { unmount: () => offLang() };
}
