// Table rows rendered in a window: a deployment can have thousands of machines; above a threshold
// only the rows in (and near) the scroll container's view are in the DOM, between two spacers
// that keep the scroll height. Rows are keyed and patched in place, so live updates do not
// flicker and the scroll position stays. Below the threshold every row is rendered.
import { h, reconcile } from "../core/dom.js";

export function windowedRows({ scroller, colspan, rowHeight = 41, threshold = 300, overscan = 12, keyOf, create, update }) {
  const spacerCell = () => h("td", { colspan: String(colspan) });
  const top = h("tbody", { class: "spacer", "aria-hidden": "true" }, h("tr", {}, spacerCell()));
  const body = h("tbody", { class: "rows" });
  const bottom = h("tbody", { class: "spacer", "aria-hidden": "true" }, h("tr", {}, spacerCell()));
  let items = [];
  let frame = 0;

  function setSpacer(tbody, px) {
    const cell = tbody.firstChild.firstChild;
    const value = `${px}px`;
    if (cell.style.height !== value) cell.style.height = value;
    tbody.hidden = px === 0;
  }

  function paint() {
    frame = 0;
    let slice = items;
    let start = 0;
    if (items.length > threshold) {
      const headHeight = body.offsetTop - (top.hidden ? 0 : top.offsetHeight) || 0;
      const viewport = scroller.clientHeight || 800;
      const offset = Math.max(0, scroller.scrollTop - headHeight);
      start = Math.max(0, Math.floor(offset / rowHeight) - overscan);
      const end = Math.min(items.length, start + Math.ceil(viewport / rowHeight) + 2 * overscan);
      slice = items.slice(start, end);
      setSpacer(top, start * rowHeight);
      setSpacer(bottom, (items.length - end) * rowHeight);
    } else {
      setSpacer(top, 0);
      setSpacer(bottom, 0);
    }
    reconcile(body, slice, keyOf, create, (node, item) => {
      update(node, item);
      const index = String(start + slice.indexOf(item) + 2); // +1 header row, 1-based
      if (node.getAttribute("aria-rowindex") !== index) node.setAttribute("aria-rowindex", index);
    });
  }

  scroller.addEventListener("scroll", () => {
    if (items.length > threshold && !frame) frame = requestAnimationFrame(paint);
  });

  return {
    tbodies: [top, body, bottom],
    body,
    /** Shows items (the full, filtered list); only a window of them becomes rows when long. */
    render(next) {
      items = next;
      paint();
    },
    get windowed() {
      return items.length > threshold;
    },
  };
}
