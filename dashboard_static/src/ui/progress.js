// A stacked progress bar of a deployment's machines (completed / failed / running / enrolled) with a
// text equivalent for screen readers and for anyone who cannot tell the colours apart.
import { h, setAttr } from "../core/dom.js";
import { bindAttrs } from "../core/i18n.js";

const SEGMENTS = ["completed", "failed", "running", "enrolled"];

export function progressBar() {
  const segs = Object.fromEntries(SEGMENTS.map((s) => [s, h("span", { class: `progress-seg progress-seg--${s}` })]));
  const el = h("div", { class: "progress", role: "img" }, Object.values(segs));
  return { el, update: (counts, expected) => updateProgress(el, segs, counts, expected) };
}

function updateProgress(el, segs, counts = {}, expected = 0) {
  const total = Math.max(Number(expected) || 0, Number(counts.enrolled) || 0, 1);
  // counts.enrolled counts every enrolled machine; "enrolled" here is the part not yet started.
  const running = Number(counts.running) || 0;
  const completed = Number(counts.completed) || 0;
  const failed = Number(counts.failed) || 0;
  const waiting = Math.max(0, (Number(counts.enrolled) || 0) - running - completed - failed - (Number(counts.expired) || 0));
  const values = { completed, failed, running, enrolled: waiting };
  for (const s of SEGMENTS) {
    const width = `${((values[s] / total) * 100).toFixed(2)}%`;
    if (segs[s].style.width !== width) segs[s].style.width = width;
  }
  const params = { completed, failed, running, expected: Number(expected) || 0 };
  const key = JSON.stringify(params);
  if (el.dataset.params !== key) {
    el.dataset.params = key;
    bindAttrs(el, { "aria-label": ["deployments.progressLabel", params], title: ["deployments.progressLabel", params] });
  }
  setAttr(el, "data-total", total);
}
