// Small DOM helpers. Every piece of text goes in through textContent / createTextNode and
// every attribute through setAttribute: nothing here ever parses a string as HTML.

/**
 * Create an element.
 *   h("p", { class: "note", "data-id": "1" }, "text", otherNode)
 * Attributes whose value is null, undefined or false are left out; `true` sets an empty one.
 * Children may be strings (inserted as text), nodes, or arrays of either; null is skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "hidden") {
        el.hidden = Boolean(value);
      } else {
        el.setAttribute(name, value === true ? "" : String(value));
      }
    }
  }
  append(el, children);
  return el;
}

/** Append children (strings become text nodes). */
export function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) {
      append(el, child);
    } else if (child instanceof Node) {
      el.appendChild(child);
    } else {
      el.appendChild(document.createTextNode(String(child)));
    }
  }
  return el;
}

/** Replace every child of `el` with `children`. */
export function replaceChildren(el, ...children) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return append(el, children);
}

/** Set textContent only when it changed, so screen readers and selection are left alone. */
export function setText(el, text) {
  const value = String(text);
  if (el.textContent !== value) el.textContent = value;
}

/** Phone number as a tel: href: digits and a leading + only. */
export function telHref(phone) {
  const cleaned = String(phone).replace(/[^0-9+]/g, "");
  return "tel:" + cleaned;
}

/**
 * Number to text as an sms: href (RFC 5724): digits and a leading + only. The word to write is
 * not put in the link (`?body=` is read differently by phones, and some take it for part of the
 * number): pages show it in the link's text instead.
 */
export function smsHref(number) {
  const cleaned = String(number).replace(/[^0-9+]/g, "");
  return "sms:" + cleaned;
}

/** Only http(s) links from the server are ever made clickable (and "" is no link, not this page). */
export function safeUrl(url) {
  if (typeof url !== "string" || url.trim() === "") return null;
  try {
    const parsed = new URL(url, location.origin);
    if (parsed.protocol === "https:" || parsed.protocol === "http:") return parsed.href;
  } catch {
    return null;
  }
  return null;
}

/** localStorage / sessionStorage that never throw (private modes, disabled storage). */
function safeStorage(kind) {
  const memory = new Map();
  let store = null;
  try {
    store = window[kind];
    const probe = "entraide.probe";
    store.setItem(probe, "1");
    store.removeItem(probe);
  } catch {
    store = null;
  }
  return {
    get(key) {
      try {
        return store ? store.getItem(key) : memory.has(key) ? memory.get(key) : null;
      } catch {
        return memory.has(key) ? memory.get(key) : null;
      }
    },
    set(key, value) {
      memory.set(key, String(value));
      try {
        if (store) store.setItem(key, String(value));
      } catch {
        /* quota or disabled: memory keeps it for this page */
      }
    },
    remove(key) {
      memory.delete(key);
      try {
        if (store) store.removeItem(key);
      } catch {
        /* ignore */
      }
    },
    getJSON(key, fallback) {
      const raw = this.get(key);
      if (raw === null) return fallback;
      try {
        return JSON.parse(raw);
      } catch {
        return fallback;
      }
    },
    setJSON(key, value) {
      this.set(key, JSON.stringify(value));
    },
  };
}

export const local = safeStorage("localStorage");
export const session = safeStorage("sessionStorage");
