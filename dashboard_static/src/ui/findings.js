// Security findings of a script (static checks run by the API): severity by colour and text.
import { h } from "../core/dom.js";
import { statusBadge } from "./status.js";

export function findingsList(findings = []) {
  if (!findings.length) return h("p", { class: "muted", t: "findings.none", "data-testid": "findings-none" });
  return h(
    "ul",
    { class: "findings", "data-testid": "findings" },
    findings.map((f) =>
      h(
        "li",
        { class: `finding finding--${f.severity || "info"}` },
        h("div", { class: "finding-head" }, statusBadge("severity", f.severity || "info"), h("span", { class: "mono muted", text: f.rule_id || "" }), f.line ? h("span", { class: "muted", t: ["findings.line", { n: f.line }] }) : null),
        h("p", { text: f.message || "" }),
        f.hint ? h("p", { class: "hint", text: f.hint }) : null,
      ),
    ),
  );
}
