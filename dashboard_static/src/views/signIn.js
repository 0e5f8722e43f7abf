// The sign-in screen (before a session exists): one button to the configured issuer.
import { beginSignIn } from "../core/auth.js";
import { getConfig } from "../core/config.js";
import { h } from "../core/dom.js";
import { languageSwitch } from "../ui/shell.js";
import { errorText } from "../ui/errors.js";

export function renderSignIn(root, { error = null, reasonKey = null } = {}) {
  const config = getConfig();
  const button = h("button", { type: "button", class: "btn btn--primary btn--large", t: "auth.signIn", "data-testid": "sign-in" });
  const errorEl = h("p", { class: "error-box", role: "alert", hidden: !error, "data-testid": "sign-in-error" });
  if (error) errorEl.textContent = errorText(error);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await beginSignIn(location.hash && location.hash !== "#/" ? location.hash : "#/deployments");
    } catch (err) {
      button.disabled = false;
      errorEl.hidden = false;
      errorEl.textContent = errorText(err);
    }
  });
  root.classList.remove("boot");
  root.replaceChildren(
    h(
      "div",
      { class: "signin" },
      h(
        "main",
        { class: "signin-card glass", id: "main" },
        h("div", { class: "signin-top" }, h("div", { class: "brand" }, h("span", { class: "brand-mark", "aria-hidden": "true", text: "⬡" }), h("span", { class: "brand-name", text: "Edgex" })), languageSwitch()),
        h("h1", { t: "auth.title" }),
        h("p", { class: "muted", t: "auth.subtitle" }),
        reasonKey ? h("p", { class: "notice", role: "status", t: reasonKey }) : null,
        errorEl,
        button,
        config.local ? h("p", { class: "hint", t: "auth.localHint" }) : null,
      ),
    ),
  );
  button.focus();
}

/** Shown when config.json cannot be loaded: nothing else can work. */
export function renderFatal(root, err) {
  root.classList.remove("boot");
  root.replaceChildren(
    h(
      "div",
      { class: "signin" },
      h("main", { class: "signin-card glass", id: "main" }, h("h1", { t: "errors.configTitle" }), h("p", { class: "error-box", role: "alert", text: `${errorText(err)}` }), languageSwitch()),
    ),
  );
}
