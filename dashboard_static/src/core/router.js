// Hash routes (#/deployments/12): work on a static bucket and under /dashboard/ without rewrites.
// A view is mount(container, params) -> { unmount(), canLeave?() -> boolean | Promise<boolean> }.

export function createRouter(routes, { onRoute = () => {}, notFound } = {}) {
  let current = null; // { view, route, params }
  let currentHash = null;
  let container = null;
  let navigating = false;

  function match(hash) {
    const path = (hash || "").replace(/^#/, "").split("?")[0] || "/";
    for (const route of routes) {
      const m = route.pattern.exec(path);
      if (m) return { route, params: m.groups || {} };
    }
    return { route: notFound, params: {} };
  }

  async function go() {
    if (navigating) return;
    const hash = location.hash;
    if (hash === currentHash) return;
    navigating = true;
    try {
      if (current && current.view.canLeave) {
        const ok = await current.view.canLeave();
        if (!ok) {
          history.replaceState(null, "", currentHash || "#/");
          return;
        }
      }
      const { route, params } = match(hash);
      if (route.redirect) {
        history.replaceState(null, "", route.redirect);
        currentHash = null;
        navigating = false;
        return go();
      }
      if (current) current.view.unmount();
      currentHash = hash;
      container.replaceChildren();
      container.scrollTop = 0;
      window.scrollTo(0, 0);
      const view = (await route.mount(container, params)) || { unmount() {} };
      current = { view, route, params };
      onRoute(route, params);
    } finally {
      navigating = false;
    }
    if (location.hash !== currentHash) go();
  }

  return {
    start(target) {
      container = target;
      window.addEventListener("hashchange", go);
      return go();
    },
    navigate(hash) {
      if (location.hash === hash) return;
      location.hash = hash;
    },
    /** Re-mounts the current view (after sign-in changes, for example). */
    reload() {
      currentHash = null;
      return go();
    },
    current: () => current,
    /** True when the current view may be left (unsaved changes confirmed). */
    async canLeave() {
      return !current || !current.view.canLeave || current.view.canLeave();
    },
  };
}
