// Create a deployment: script, name, expected machines, expiry (hours or permanent). Scripts with
// security findings need an explicit acknowledgement. On success the one-liners (with the master
// token, shown once) are handed to the detail view in memory.
import { api } from "../core/api.js";
import { field, h, markInvalid } from "../core/dom.js";
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
  const expected = h("input", { class: "input", name: "expected_machines", type: "number", min: "1", max: "100000", step: "1", value: "", required: true, inputmode: "numeric", "data-testid": "expected-machines", tAttr: { placeholder: "deployments.expectedPlaceholder" } });
  // Rollout control: a number of machines or a percentage of the expected machines ("10%").
  const maxConcurrency = h("input", { class: "input", name: "max_concurrency", type: "text", inputmode: "numeric", autocomplete: "off", maxlength: "6", "data-testid": "max-concurrency", tAttr: { placeholder: "deployments.limitPlaceholder" } });
  const errorThreshold = h("input", { class: "input", name: "error_threshold", type: "text", inputmode: "numeric", autocomplete: "off", maxlength: "6", "data-testid": "error-threshold", tAttr: { placeholder: "deployments.limitPlaceholder" } });
  const failOnError = h("input", { type: "checkbox", id: "fail-on-error", name: "fail_on_error", "data-testid": "fail-on-error" });
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
      { class: "fieldset", "data-testid": "rollout-fields" },
      h("legend", { t: "deployments.fields.rollout" }),
      h("p", { class: "hint", t: "deployments.hints.rollout" }),
      h("div", { class: "form-grid" }, field("deployments.fields.maxConcurrency", maxConcurrency, "deployments.hints.maxConcurrency"), field("deployments.fields.errorThreshold", errorThreshold, "deployments.hints.errorThreshold")),
    ),
    h("div", { class: "field field--check" }, failOnError, h("label", { for: "fail-on-error", t: "deployments.failOnErrorLabel" }), h("p", { class: "hint", t: "deployments.hints.failOnError" })),
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

  // The API's field names -> the inputs, so a server VALIDATION_ERROR marks the right one.
  const controls = { script_id: scriptSelect, name, description, expected_machines: expected, expires_hours: hours, acknowledge_findings: ack, fail_on_error: failOnError, max_concurrency: maxConcurrency, error_threshold: errorThreshold };

  /** [field, message key] of the first problem, or null. */
  function validate() {
    if (!scriptSelect.value) return ["script_id", "deployments.validation.script"];
    if (!name.value.trim()) return ["name", "deployments.validation.name"];
    const n = Number(expected.value);
    if (!expected.value || !Number.isInteger(n) || n < 1 || n > 100000) return ["expected_machines", "deployments.validation.expected"];
    if (!permanentMode.checked) {
      const hrs = Number(hours.value);
      if (!Number.isInteger(hrs) || hrs < 1 || hrs > 8760) return ["expires_hours", "deployments.validation.hours"];
    }
    if (limitValue(maxConcurrency) === undefined) return ["max_concurrency", "deployments.validation.limit"];
    if (limitValue(errorThreshold) === undefined) return ["error_threshold", "deployments.validation.limit"];
    const s = scripts.find((x) => String(x.id) === scriptSelect.value);
    if (s && s.findings && s.findings.length && !ack.checked) return ["acknowledge_findings", "deployments.validation.acknowledge"];
    return null;
  }

  /** A limit as the API takes it: null when empty, a number, "N%"; undefined when malformed. */
  function limitValue(input) {
    const raw = input.value.trim();
    if (!raw) return null;
    const percent = /^([0-9]{1,3})%$/.exec(raw);
    if (percent) return Number(percent[1]) >= 1 && Number(percent[1]) <= 100 ? `${Number(percent[1])}%` : undefined;
    const n = Number(raw);
    return /^[0-9]{1,6}$/.test(raw) && n >= 1 && n <= 100000 ? n : undefined;
  }

  function clearMarks() {
    for (const control of Object.values(controls)) markInvalid(control, null);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.clear();
    clearMarks();
    const problem = validate();
    if (problem) {
      const [name_, key] = problem;
      errors.show(t(key));
      markInvalid(controls[name_], key);
      controls[name_].focus();
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
      if (failOnError.checked) body.fail_on_error = true;
      if (limitValue(maxConcurrency) !== null) body.max_concurrency = limitValue(maxConcurrency);
      if (limitValue(errorThreshold) !== null) body.error_threshold = limitValue(errorThreshold);
      const created = await api.post("/v1/admin/deployments", body);
      rememberOneLiners(created.id, { ...(created.one_liners || {}), master_token: created.master_token });
      location.hash = `#/deployments/${created.id}`;
    } catch (err) {
      errors.show(err);
      const control = err.field && controls[err.field.split(".")[0]];
      if (control) {
        markInvalid(control, { text: err.message });
        control.focus();
      }
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
