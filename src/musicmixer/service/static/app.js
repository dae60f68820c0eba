/* musicmixer player page: plain JS, no build step.
 * Upload -> progress (Server-Sent Events) -> player: the rendered stems play
 * through Web Audio, one GainNode per stem, so faders change the mix live;
 * "Apply" asks the server to render the master with the same gains.
 *
 * Classic scripts share one global scope, loaded with `defer` in order:
 *   app.js    - shared helpers (api, errors, card switching, progress events) and start-up
 *   upload.js - choosing songs, the prompt, the upload and the progress card
 *   player.js - the one player (version served or live draft), waveform, sections, transport
 *   studio.js - faders with mute/solo, undo, shortcuts, versions and apply, song cards
 *   recent.js - recent remixes in this browser, "try again" after a failure
 * init() runs on DOMContentLoaded, after all of them have loaded. */
"use strict";

const TERMINAL = new Set(["complete", "error", "cancelled"]);
const LIMITS = { mb: 50, minutes: 15, prompt: 2000 };

const $ = (id) => document.getElementById(id);
const state = { id: null, source: null, files: {}, audio: null };

/* ---------- helpers ---------- */
function showError(message) {
  $("error-text").textContent = message;
  $("error").hidden = false;
  $("error").scrollIntoView({ block: "nearest" });
}
function clearError() { $("error").hidden = true; $("retry").hidden = true; }

async function api(path, options = {}) {
  let res;
  try {
    res = await fetch(path, options);
  } catch (e) {
    throw new Error("Cannot reach the server. Check your connection and try again.");
  }
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
  if (!res.ok) {
    const detail = body && body.detail ? body.detail : `The server answered ${res.status}.`;
    const err = new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
    err.status = res.status;
    throw err;
  }
  return body;
}

/* The owner token comes once, with the upload's answer; this browser keeps it so
 * that it (and not whoever has the share link) can Apply, Cancel or delete. */
const OWNER_KEY = "musicmixer.owner.";
function saveOwnerToken(id, token) {
  try { localStorage.setItem(OWNER_KEY + id, token); } catch (e) { /* private mode: this tab only */ }
  state.owner = { id, token };
}
function hasOwnerToken(id) { return "X-Owner-Token" in ownerHeaders(id); }
function ownerHeaders(id) {
  let token = state.owner && state.owner.id === id ? state.owner.token : null;
  try { token = token || localStorage.getItem(OWNER_KEY + id); } catch (e) { /* no storage */ }
  return token ? { "X-Owner-Token": token } : {};
}

function show(section) {
  for (const id of ["create", "progress", "player"]) $(id).hidden = id !== section;
  drawRecent();
}

function setProgress(fill, bar, value) {
  const pct = Math.round(100 * Math.min(Math.max(value, 0), 1));
  $(fill).style.width = `${pct}%`;
  if (bar) $(bar).setAttribute("aria-valuenow", String(pct));
}

function listen(id, onEvent) {
  if (state.source) state.source.close();
  const source = new EventSource(`/api/remix/${id}/progress`);
  state.source = source;
  source.onmessage = (msg) => {
    const event = JSON.parse(msg.data);
    if (TERMINAL.has(event.step)) source.close();
    onEvent(event);
  };
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) {
      api(`/api/remix/${id}/status`).then((s) => onEvent(s)).catch((e) => showError(e.message));
    } /* otherwise the browser reconnects and gets the last event again */
  };
}

/* ---------- start ---------- */
async function openFromLink(id) {
  try {
    const status = await api(`/api/remix/${id}/status`);
    state.id = id;
    if (status.audio_url) return loadPlayer(id);
    if (["queued", "running"].includes(status.status)) return follow(id);
    state.status = status;
    show("create");
    offerRetry(status.error || `This remix was ${status.status}.`);
  } catch (e) {
    show("create");
    showError(e.message);
  }
}

function init() {
  setupDrops();
  setupTransport();
  setupStudio();
  $("create-form").addEventListener("submit", submit);
  $("cancel").addEventListener("click", cancel);
  $("retry").addEventListener("click", retry);
  $("copy").addEventListener("click", copyLink);
  $("error-close").addEventListener("click", clearError);
  $("new").addEventListener("click", () => { stopPlayback(); history.pushState({}, "", "/"); show("create"); });
  loadSteps();
  api("/health").then((h) => {
    document.body.dataset.server = h.status;
    LIMITS.mb = h.limits.max_upload_mb; LIMITS.minutes = h.limits.max_song_minutes;
    LIMITS.prompt = h.limits.max_prompt_chars;
    $("limit-mb").textContent = LIMITS.mb; $("limit-min").textContent = LIMITS.minutes;
    $("prompt-max").textContent = LIMITS.prompt; $("prompt").maxLength = LIMITS.prompt;
    /* the lead/backing option only where the server can honour it */
    const split = h.vocal_split || {};
    $("opt-split").hidden = !split.available;
    if (!split.available) $("opt-7stem").checked = false;
    $("split-method").textContent = split.method || "";
  }).catch(() => {});
  const match = location.pathname.match(/^\/r\/([^/]+)$/);
  if (match) openFromLink(match[1]); else show("create");
}

document.addEventListener("DOMContentLoaded", init);
