// Tiny DOM helpers: element creation with translated text, and keyed in-place list updates
// (live views change only the nodes whose data changed: no flicker, scroll kept).
import { bindText, bindAttrs } from "./i18n.js";

/**
 * h("button", {class: "btn", t: "actions.save", onClick}, ...children)
 *  - t: i18n key (or [key, params]) for the text content, kept in sync on language switch
 *  - tAttr: {attribute: key | [key, params]} translated attributes (placeholder, aria-label, title)
 *  - text: literal text (data, not UI copy)
 *  - on<Event>: listener; dataset: data-*; anything else: attribute (false/null = absent)
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
    else if (key === "t") bindText(el, value);
    else if (key === "tAttr") bindAttrs(el, value);
    else if (key === "text") el.textContent = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === "value") el.value = value;
    else if (key === "checked" || key === "disabled" || key === "selected" || key === "hidden") el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** Sets textContent only when it changed (avoids needless layout and keeps selections). */
export function setText(el, value) {
  const text = value === null || value === undefined ? "" : String(value);
  if (el.textContent !== text) el.textContent = text;
}

export function setAttr(el, name, value) {
  if (value === null || value === undefined || value === false) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
  } else if (el.getAttribute(name) !== String(value)) el.setAttribute(name, String(value));
}

export function toggleClass(el, name, on) {
  if (el.classList.contains(name) !== Boolean(on)) el.classList.toggle(name, Boolean(on));
}

/**
 * Keyed reconciliation: makes parent's children mirror items, reusing nodes by key.
 * create(item) -> Node (must set node.__key is done here), update(node, item) patches in place.
 * Nodes are moved only when order changed, so unchanged rows are never touched.
 */
export function reconcile(parent, items, keyOf, create, update) {
  const existing = new Map();
  for (const node of parent.children) if (node.__key !== undefined) existing.set(node.__key, node);
  const wanted = [];
  const fragmentForNew = !parent.firstElementChild;
  const frag = fragmentForNew ? document.createDocumentFragment() : null;
  for (const item of items) {
    const key = keyOf(item);
    let node = existing.get(key);
    if (node) {
      existing.delete(key);
      update(node, item);
    } else {
      node = create(item);
      node.__key = key;
      update(node, item);
    }
    wanted.push(node);
  }
  for (const node of existing.values()) node.remove();
  if (frag) {
    for (const node of wanted) frag.append(node);
    parent.append(frag);
    return;
  }
  let cursor = parent.firstElementChild;
  for (const node of wanted) {
    if (node === cursor) cursor = cursor.nextElementSibling;
    else parent.insertBefore(node, cursor);
  }
}

let idCounter = 0;
export function uid(prefix = "id") {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** Marks a form control invalid with a message under it (aria-invalid + aria-describedby), or clears
 * the mark when message is null. message: an i18n key, [key, params], or {text} (the server's words). */
export function markInvalid(control, message) {
  const holder = control.closest(".field") || control.parentElement;
  let note = holder.querySelector(":scope > .field-error");
  if (!message) {
    control.removeAttribute("aria-invalid");
    if (note) note.remove();
    return;
  }
  if (!note) {
    note = h("p", { class: "field-error", id: uid("err"), "data-testid": "field-error" });
    holder.append(note);
  }
  if (message.text !== undefined) {
    delete note.dataset.i18n;
    note.textContent = message.text;
  } else bindText(note, message);
  control.setAttribute("aria-invalid", "true");
  control.setAttribute("aria-describedby", note.id);
}

/** A labelled form field: <div class="field"><label for>…</label>control<p class=hint></p></div>. */
export function field(labelKey, control, hintKey) {
  if (!control.id) control.id = uid("f");
  return h(
    "div",
    { class: "field" },
    h("label", { for: control.id, t: labelKey }),
    control,
    hintKey ? h("p", { class: "hint", t: hintKey }) : null,
  );
}
