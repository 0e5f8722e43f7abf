// A unified line diff between two versions of a script: added lines marked "+" and green, removed
// lines "-" and red (sign and colour, so it reads without colour too). Loaded with the editor chunk.
import { diffLines } from "diff";
import { h } from "../core/dom.js";

export function renderDiff(oldText, newText) {
  const parts = diffLines(oldText, newText);
  const rows = [];
  let oldNo = 1;
  let newNo = 1;
  let added = 0;
  let removed = 0;
  for (const part of parts) {
    const lines = part.value.replace(/\n$/, "").split("\n");
    for (const line of lines) {
      if (part.added) {
        added += 1;
        rows.push(h("div", { class: "diff-line diff-line--add" }, h("span", { class: "diff-no", text: "" }), h("span", { class: "diff-no", text: newNo++ }), h("span", { class: "diff-sign", text: "+" }), h("span", { class: "diff-text", text: line })));
      } else if (part.removed) {
        removed += 1;
        rows.push(h("div", { class: "diff-line diff-line--del" }, h("span", { class: "diff-no", text: oldNo++ }), h("span", { class: "diff-no", text: "" }), h("span", { class: "diff-sign", text: "-" }), h("span", { class: "diff-text", text: line })));
      } else {
        rows.push(h("div", { class: "diff-line" }, h("span", { class: "diff-no", text: oldNo++ }), h("span", { class: "diff-no", text: newNo++ }), h("span", { class: "diff-sign", text: " " }), h("span", { class: "diff-text", text: line })));
      }
    }
  }
  return {
    node: h("div", { class: "diff", role: "region", tabindex: "0", "data-testid": "diff" }, rows),
    added,
    removed,
  };
}
