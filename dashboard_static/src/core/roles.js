// Roles from the API's /v1/admin/me: viewer < operator < admin. The UI builds no control that the
// role cannot use (a viewer gets no create/edit/cancel buttons at all, not disabled ones).
import vocabulary from "../generated/vocabulary.json";

const ORDER = vocabulary.roles;
let me = { username: "", role: "viewer", email: null, groups: [] };

export function setMe(value) {
  me = { ...me, ...value };
  if (!ORDER.includes(me.role)) me.role = "viewer";
}

export function getMe() {
  return me;
}

/** can("operator") is true for operators and admins. */
export function can(minimumRole) {
  return ORDER.indexOf(me.role) >= ORDER.indexOf(minimumRole);
}
