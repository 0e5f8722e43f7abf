// A stacked progress bar of a deployment's machines (completed / failed / running / waiting /
// enrolled, not started yet) with a text equivalent for screen readers and for anyone who cannot
// tell the colours apart. "failed" sums every unsuccessful end (failed, timed out, lost).
import { h, setAttr } from "../core/dom.js";
import { bindAttrs } from "../core/i18n.js";

const SEGMENTS = ["completed", "failed", "running", "waiting", "enrolled"];
const FAILURES = ["failed", "timed_out", "lost"];

export function progressBar() {
  const segs = Object.fromEntries(SEGMENTS.map((s) => [s, h("span", { class: `progress-seg progress-seg--${s}`, "data-testid": `progress-${s}` })]));
  const el = h("div", { class: "progress", role: "img", "data-testid": "progress" }, Object.values(segs));
  return { el, update: (counts, expected) => updateProgress(el, segs, counts, expected) };
}

function updateProgress(el, segs, counts = {}, expected = 0) {
  const n = (k) => Number(counts[k]) || 0;
  const total = Math.max(Number(expected) || 0, n("enrolled"), 1);
  // counts.enrolled counts every enrolled machine; "enrolled" here is the part not yet started.
  const running = n("running");
  const completed = n("completed");
  const failed = FAILURES.reduce((sum, k) => sum + n(k), 0);
  const waiting = n("waiting");
  const notStarted = Math.max(0, n("enrolled") - running - completed - failed - waiting - n("expired") - n("cancelled"));
  const values = { completed, failed, running, waiting, enrolled: notStarted };
  for (const s of SEGMENTS) {
    const width = `${((values[s] / total) * 100).toFixed(2)}%`;
    if (segs[s].style.width !== width) segs[s].style.width = width;
  }
  const params = { completed, failed, running, waiting, expected: Number(expected) || 0 };
  const key = JSON.stringify(params);
  if (el.dataset.params !== key) {
    el.dataset.params = key;
    bindAttrs(el, { "aria-label": ["deployments.progressLabel", params], title: ["deployments.progressLabel", params] });
  }
  setAttr(el, "data-total", total);
}
