/* The console's one client of the HTTP API: the tenant token lives in sessionStorage (this tab only),
   every call carries it as X-Mantis-Token, and every value shown goes through textContent. */
"use strict";

const Mantis = (() => {
  const TOKEN = "mantis.token";
  const PLATFORM_KEY = "mantis.platformKey";
  const root = document.body.dataset.root || "";
  const ready = [];

  class ApiError extends Error {
    constructor(status, body) {
      const error = (body && body.error) || {};
      super(error.message || `HTTP ${status}`);
      this.status = status;
      this.code = error.code || "http_" + status;
      this.details = error.details;
    }
  }

  function headers() {
    const out = { "X-Mantis-Token": sessionStorage.getItem(TOKEN) || "" };
    const key = sessionStorage.getItem(PLATFORM_KEY);
    if (key) out.Authorization = "Api-Key " + key;
    return out;
  }

  async function request(method, path, body) {
    const init = { method, headers: headers(), cache: "no-store" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(root + path, init);
    const text = await response.text();
    let parsed = null;
    try { parsed = text ? JSON.parse(text) : null; } catch (_) { parsed = null; }
    if (!response.ok) {
      if (response.status === 401) showSignIn("Your token was refused; sign in again.");
      throw new ApiError(response.status, parsed);
    }
    return parsed;
  }

  const predict = (body) => request("POST", "/v1/predict", body);

  /* GET /v1/runs/{id}/events read as server-sent events: EventSource cannot send the token header,
     so the stream is read with fetch. Calls onEvent(type, data) per event; resolves at `end`. */
  async function events(runId, onEvent, signal) {
    const response = await fetch(`${root}/v1/runs/${encodeURIComponent(runId)}/events`, {
      headers: headers(), signal, cache: "no-store",
    });
    if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let type = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) type = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
        }
        if (type === "end") return;
        try { onEvent(type, JSON.parse(data.join("\n"))); } catch (_) { /* not an event of ours */ }
      }
    }
  }

  /* el("td", {class: "num"}, "text", child): an element built without parsing any HTML. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function age(iso) {
    if (!iso) return "";
    const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (seconds < 60) return `${Math.floor(seconds)} s ago`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
    if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
    return `${Math.floor(seconds / 86400)} d ago`;
  }

  const cost = (usd) => "$" + Number(usd || 0).toFixed(usd && usd < 0.01 ? 4 : 2);
  const FINAL = new Set(["succeeded", "failed", "cancelled"]);

  function badge(node, status) {
    node.textContent = status;
    node.className = "badge " + status;
  }

  function showSignIn(message) {
    document.getElementById("content").hidden = true;
    document.getElementById("sign-out").hidden = true;
    document.getElementById("who").hidden = true;
    const form = document.getElementById("sign-in");
    form.hidden = false;
    const error = document.getElementById("sign-in-error");
    error.hidden = !message;
    error.textContent = message || "";
    document.getElementById("token").focus();
  }

  function start() {
    document.getElementById("sign-in").hidden = true;
    document.getElementById("content").hidden = false;
    document.getElementById("sign-out").hidden = false;
    for (const run of ready) run();
  }

  document.getElementById("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN, document.getElementById("token").value.trim());
    const key = document.getElementById("platform-key").value.trim();
    if (key) sessionStorage.setItem(PLATFORM_KEY, key); else sessionStorage.removeItem(PLATFORM_KEY);
    try {
      await predict({ action: "list", limit: 1 });
    } catch (error) {
      sessionStorage.removeItem(TOKEN);
      showSignIn(error.status === 401 ? "That token was refused." : error.message);
      return;
    }
    document.getElementById("token").value = "";
    start();
  });

  document.getElementById("sign-out").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(PLATFORM_KEY);
    window.location.assign(root + "/");
  });

  document.addEventListener("DOMContentLoaded", () => {
    if (sessionStorage.getItem(TOKEN)) start(); else showSignIn("");
  });

  return {
    root, predict, events, el, age, cost, badge, FINAL, ApiError,
    /* A page's entry point, run once the user is signed in. */
    onReady: (fn) => ready.push(fn),
  };
})();
