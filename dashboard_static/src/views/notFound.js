import { h } from "../core/dom.js";
import { pageHeader } from "../ui/page.js";

export function mountNotFound(container) {
  container.append(
    pageHeader("errors.notFoundTitle"),
    h("div", { class: "card glass" }, h("p", { t: "errors.notFoundBody" }), h("a", { href: "#/deployments", class: "btn", t: "nav.deployments" })),
  );
  return { unmount() {} };
}
