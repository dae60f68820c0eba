/* musicmixer page, part 5: what this browser remembers. "Recent remixes" in
 * localStorage (no account: the list, like the owner tokens, stays in this
 * browser), and "try again" after any failure with the same files and prompt
 * (the File objects stay in memory; after a reload only the prompt is left).
 * Classic script; shares globals ($, state, api...) with the others. */
"use strict";

const RECENT_KEY = "musicmixer.recent";
const RECENT_MAX = 12;

function recentRemixes() {
  try {
    const list = JSON.parse(localStorage.getItem(RECENT_KEY) || "[]");
    return Array.isArray(list) ? list.filter((r) => r && typeof r.id === "string") : [];
  } catch (e) { return []; }
}

function saveRecent(list) {
  try { localStorage.setItem(RECENT_KEY, JSON.stringify(list.slice(0, RECENT_MAX))); } catch (e) { /* no storage */ }
  drawRecent();
}

function rememberRemix(id, status) {
  const songs = status.songs || {};
  const titles = ["song_a", "song_b"].map((s) => songs[s] && songs[s].title).filter(Boolean);
  const old = recentRemixes().find((r) => r.id === id) || {};
  const entry = {
    id, title: titles.length ? titles.join(" × ") : old.title || "Remix",
    prompt: status.prompt || old.prompt || "", at: old.at || Date.now(),
  };
  saveRecent([entry, ...recentRemixes().filter((r) => r.id !== id)]);
}

function forgetRemix(id) { saveRecent(recentRemixes().filter((r) => r.id !== id)); }

function drawRecent() {
  const list = $("recent-list");
  list.innerHTML = "";
  const items = recentRemixes();
  for (const r of items) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = `/r/${encodeURIComponent(r.id)}`;
    a.textContent = r.title;
    const meta = document.createElement("span");
    meta.className = "hint";
    meta.textContent = `${r.prompt ? `“${r.prompt.slice(0, 60)}” · ` : ""}${new Date(r.at).toLocaleString()}`;
    const forget = document.createElement("button");
    Object.assign(forget, { type: "button", className: "link", textContent: "Forget" });
    forget.setAttribute("aria-label", `Forget ${r.title}`);
    forget.addEventListener("click", () => forgetRemix(r.id));
    li.append(a, meta, forget);
    list.appendChild(li);
  }
  $("recent").hidden = !items.length || $("create").hidden;
}

/* ---------- try again ---------- */
function offerRetry(message) {
  showError(message);
  $("retry").hidden = false;
}

function retry() {
  clearError();
  if (state.files.song_a && state.files.song_b && $("prompt").value.trim()) {
    show("create");
    return submitForm();
  }
  show("create");
  if (state.status && state.status.prompt && !$("prompt").value) $("prompt").value = state.status.prompt;
  showError("Choose the two songs again (this page was reloaded, so it no longer holds them); the prompt is kept.");
}
