// A resilient client for /ws (protocol.md): hello with the stored token, requests matched
// to their replies by `ref`, and automatic reconnection with exponential back-off and jitter.
//
//   const socket = new ChatSocket({ locale: () => "fr", onReady, onFrame, onState });
//   socket.start();
//   const reply = await socket.request({ type: "join", room: "anxiete", since: null });
//
// `request` resolves with the reply frame carrying the same ref (an `error` frame included)
// and rejects with an Error whose `code` is "disconnected" when the connection drops first.
//
// Staff mode (`staff: () => true`): the hello asks for the session of the HttpOnly login cookie
// the browser sends with the handshake (`"staff": true`, no token); the page never sees the
// login token, and the peer token kept in localStorage is left alone. When the cookie no
// longer opens anything (bad_token, close 4001), `onBadToken` is called.

import { local } from "./dom.js";

const TOKEN_KEY = "entraide.token";
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15_000;
const STABLE_AFTER_MS = 10_000;    // a connection that lived this long resets the back-off
const REPLY_TIMEOUT_MS = 20_000;   // no reply at all this long: the link is dead, start over
const HELLO_TIMEOUT_MS = 10_000;

export const CLOSE = {
  NORMAL: 1000,
  TOO_LARGE: 1009,
  RESTART: 1012,
  NO_HELLO: 4000,
  BAD_TOKEN: 4001,
  BANNED: 4003,
  FLOODING: 4008,
  TOO_SLOW: 4009,
  CLIENT_RETRY: 3000, // ours: we gave up on a silent connection
};

export class ChatSocket {
  constructor({ locale, onReady, onFrame, onState, staff, onBadToken }) {
    this.locale = locale;
    this.staff = staff || (() => false);
    this.onBadToken = onBadToken || (() => {});
    this.asStaff = false;         // the current connection said hello with the staff cookie
    this.onReady = onReady || (() => {});
    this.onFrame = onFrame || (() => {});
    this.onState = onState || (() => {});
    this.ws = null;
    this.state = "idle";          // idle | connecting | open | waiting | stopped
    this.ready = false;           // welcome received on the current connection
    this.attempt = 0;
    this.everReady = false;
    this.timer = null;
    this.helloTimer = null;
    this.openedAt = 0;
    this.refCounter = 0;
    this.pending = new Map();     // ref -> { resolve, reject, timer }
    this.role = null;
    this.sessionLocale = null;
    this.stopReason = null;

    window.addEventListener("online", () => this.retryNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.retryNow();
    });
    window.addEventListener("pagehide", () => this.closeQuietly());
  }

  get token() {
    return local.get(TOKEN_KEY);
  }

  start() {
    if (this.state === "idle") this.connect();
  }

  /** Give up for good (banned from the service, say). */
  stop(reason) {
    this.stopReason = reason || null;
    this.clearTimer();
    this.setState("stopped");
    this.closeQuietly();
  }

  /** Reconnect at once if a retry is scheduled (network back, tab visible again). */
  retryNow() {
    if (this.state === "waiting") {
      this.clearTimer();
      this.connect();
    }
  }

  /**
   * Open a fresh connection right away (the interface language changed: the server writes its
   * texts in the language of the last hello). Pending requests fail as on any disconnection.
   */
  restart() {
    if (this.state === "stopped") return;
    this.clearTimer();
    this.closeQuietly();
    this.attempt = 0;
    this.connect();
  }

  nextRef() {
    this.refCounter += 1;
    return "c" + this.refCounter.toString(36);
  }

  /** Send a frame and wait for the reply with the same ref. */
  request(frame) {
    return new Promise((resolve, reject) => {
      if (!this.ready || !this.ws || this.ws.readyState !== WebSocket.OPEN) {
        const error = new Error("disconnected");
        error.code = "disconnected";
        reject(error);
        return;
      }
      const ref = this.nextRef();
      const timer = setTimeout(() => {
        // A reply never came: the connection is probably dead without the browser knowing.
        this.forceReconnect();
      }, REPLY_TIMEOUT_MS);
      this.pending.set(ref, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ ...frame, ref }));
    });
  }

  // -- internals ----------------------------------------------------------------------------

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.onState(state, { everReady: this.everReady, online: navigator.onLine !== false });
  }

  clearTimer() {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  connect() {
    if (this.state === "stopped") return;
    this.ready = false;
    this.setState("connecting");
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    let ws;
    try {
      ws = new WebSocket(`${scheme}//${location.host}/ws`);
    } catch {
      this.scheduleRetry(null);
      return;
    }
    this.ws = ws;
    this.asStaff = Boolean(this.staff());
    ws.onopen = () => {
      this.openedAt = Date.now();
      const hello = this.asStaff
        ? { type: "hello", token: null, locale: this.locale(), staff: true }
        : { type: "hello", token: this.token || null, locale: this.locale() };
      ws.send(JSON.stringify(hello));
      this.helloTimer = setTimeout(() => {
        if (this.ws === ws && !this.ready) this.forceReconnect();
      }, HELLO_TIMEOUT_MS);
    };
    ws.onmessage = (event) => this.receive(ws, event.data);
    ws.onclose = (event) => this.closed(ws, event.code);
    ws.onerror = () => { /* onclose follows and decides */ };
  }

  receive(ws, data) {
    if (this.ws !== ws || typeof data !== "string") return;
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (!frame || typeof frame.type !== "string") return;

    if (frame.type === "welcome") {
      clearTimeout(this.helloTimer);
      if (!this.asStaff && typeof frame.token === "string") local.set(TOKEN_KEY, frame.token);
      this.role = frame.role || "peer";
      this.sessionLocale = frame.locale || null;
      this.ready = true;
      this.everReady = true;
      this.setState("open");
      this.onReady(frame);
      return;
    }
    if (frame.type === "error" && frame.code === "bad_token") {
      // The server closes with 4001 next; forget the token so the next hello opens a new session
      // (a staff hello carried none: the login is over, the page decides what comes next).
      if (!this.asStaff) local.remove(TOKEN_KEY);
      return;
    }
    const ref = typeof frame.ref === "string" ? frame.ref : null;
    if (ref && this.pending.has(ref)) {
      const entry = this.pending.get(ref);
      this.pending.delete(ref);
      clearTimeout(entry.timer);
      entry.resolve(frame);
      // Some replies are also news for the page (a rename seen by other tabs comes without ref).
      if (frame.type === "renamed") this.onFrame(frame);
      return;
    }
    this.onFrame(frame);
  }

  detach(ws) {
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    if (this.ws === ws) this.ws = null;
    clearTimeout(this.helloTimer);
    this.ready = false;
  }

  failPending() {
    for (const entry of this.pending.values()) {
      clearTimeout(entry.timer);
      const error = new Error("disconnected");
      error.code = "disconnected";
      entry.reject(error);
    }
    this.pending.clear();
  }

  closeQuietly() {
    if (this.ws) {
      const ws = this.ws;
      this.detach(ws);
      try { ws.close(CLOSE.NORMAL); } catch { /* ignore */ }
    }
    this.failPending();
  }

  forceReconnect() {
    if (!this.ws) return;
    const ws = this.ws;
    this.detach(ws);
    try { ws.close(CLOSE.CLIENT_RETRY); } catch { /* ignore */ }
    this.failPending();
    this.scheduleRetry(CLOSE.CLIENT_RETRY);
  }

  closed(ws, code) {
    if (this.ws !== ws) return;
    const lived = this.openedAt ? Date.now() - this.openedAt : 0;
    this.detach(ws);
    this.failPending();
    if (lived >= STABLE_AFTER_MS) this.attempt = 0;
    if (code === CLOSE.BANNED) {
      this.stop("banned");
      return;
    }
    if (code === CLOSE.BAD_TOKEN) {
      if (this.asStaff) {
        this.onBadToken();
      } else {
        local.remove(TOKEN_KEY);
      }
    }
    this.scheduleRetry(code);
  }

  scheduleRetry(code) {
    if (this.state === "stopped") return;
    this.clearTimer();
    let delay;
    if (code === CLOSE.RESTART) {
      // The server is restarting: come back at once, spread a little so a whole room does not
      // knock on the same door in the same millisecond.
      delay = 50 + Math.random() * 450;
    } else if (code === CLOSE.BAD_TOKEN && this.attempt === 0) {
      delay = 0;
    } else {
      const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
      // "Equal jitter": half fixed, half random.
      delay = base / 2 + Math.random() * (base / 2);
      if (code === CLOSE.FLOODING) delay = Math.max(delay, 5_000);
    }
    this.attempt += 1;
    this.setState("waiting");
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }
}
