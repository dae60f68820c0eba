/* musicmixer page, part 4: the studio around the player. Faders with mute and
 * solo, undo, keyboard shortcuts, the version list (apply = a new version;
 * the owner can serve an earlier one again), song cards, owner-only controls.
 * Classic script; shares globals ($, state, mixer, api, listen...) with the others. */
"use strict";

const history_ = { undo: [], committed: null };

/* ---------- faders, mute, solo ---------- */
function faderRow(stem) {
  const row = document.createElement("div");
  row.className = `fader ${stem.vocal ? "vocal" : ""}`;
  row.dataset.stem = stem.name;
  const id = `fader-${stem.name}`;
  const label = document.createElement("label");
  label.htmlFor = id;
  label.className = "fader-label";
  label.textContent = stem.label;  /* from the API: the stem mode's label */
  const input = document.createElement("input");
  Object.assign(input, { type: "range", id, min: "0", max: "2", step: "0.01", value: "1" });
  input.dataset.stem = stem.name;
  const out = document.createElement("output");
  out.htmlFor = id;
  input.addEventListener("input", () => { mixer.faders[stem.name] = parseFloat(input.value); showFader(stem.name); updateMix(); });
  input.addEventListener("change", commitDraft);
  const mute = toggleButton("M", `Mute ${stem.label}`, "mute", () => toggleSet(mixer.muted, stem.name));
  const solo = toggleButton("S", `Solo ${stem.label}`, "solo", () => toggleSet(mixer.soloed, stem.name));
  row.append(label, mute, solo, input, out);
  return row;
}

function toggleButton(text, label, kind, onClick) {
  const b = document.createElement("button");
  Object.assign(b, { type: "button", textContent: text, className: `toggle ${kind}` });
  b.setAttribute("aria-label", label);
  b.setAttribute("aria-pressed", "false");
  b.addEventListener("click", onClick);
  return b;
}

function toggleSet(set, name) {
  if (set.has(name)) set.delete(name); else set.add(name);
  for (const stem of Object.keys(mixer.buffers)) showFader(stem);  /* a solo silences the others */
  updateMix();
  commitDraft();
}

function showFader(name) {
  const row = document.querySelector(`.fader[data-stem="${CSS.escape(name)}"]`);
  if (!row) return;
  const input = row.querySelector("input");
  const v = mixer.faders[name] ?? 1;
  if (Math.abs(parseFloat(input.value) - v) > 1e-6) input.value = String(v);
  const out = row.querySelector("output");
  out.textContent = v <= 0.001 ? "off" : `${(20 * Math.log10(v)).toFixed(1)} dB`;
  input.setAttribute("aria-valuetext", out.textContent);
  const muted = mixer.muted.has(name), soloed = mixer.soloed.has(name);
  row.querySelector(".mute").setAttribute("aria-pressed", String(muted));
  row.querySelector(".solo").setAttribute("aria-pressed", String(soloed));
  const silent = mixer.soloed.size ? !soloed || muted : muted;
  row.classList.toggle("silent", silent);
}

/* ---------- undo: a snapshot per finished change ---------- */
function snapshot() {
  return { faders: { ...mixer.faders }, muted: [...mixer.muted], soloed: [...mixer.soloed] };
}
function restoreDraft(snap) {
  Object.assign(mixer.faders, snap.faders);
  mixer.muted = new Set(snap.muted);
  mixer.soloed = new Set(snap.soloed);
  for (const name of Object.keys(mixer.buffers)) showFader(name);
  updateMix();
}
function commitDraft() {
  const now = snapshot();
  if (history_.committed && JSON.stringify(now) !== JSON.stringify(history_.committed)) {
    history_.undo.push(history_.committed);
    if (history_.undo.length > 100) history_.undo.shift();
  }
  history_.committed = now;
  $("undo").disabled = history_.undo.length === 0;
}
function clearUndo() {
  history_.undo = [];
  history_.committed = snapshot();
  $("undo").disabled = true;
}
function undo() {
  const snap = history_.undo.pop();
  if (!snap) return;
  restoreDraft(snap);
  history_.committed = snap;
  $("undo").disabled = history_.undo.length === 0;
}
function backToVersion() {
  restoreDraft({ faders: mixer.versionGains, muted: [], soloed: [] });
  commitDraft();
}

/* ---------- keyboard shortcuts (listed in the page) ---------- */
function focusedStem() {
  const row = document.activeElement && document.activeElement.closest && document.activeElement.closest(".fader");
  return row ? row.dataset.stem : null;
}
function onShortcut(e) {
  if ($("player").hidden || e.altKey) return;
  const tag = (e.target.tagName || "").toLowerCase();
  const typing = tag === "textarea" || (tag === "input" && e.target.type !== "range");
  if (typing) return;
  const key = e.key.toLowerCase();
  if ((e.ctrlKey || e.metaKey) && key === "z") { e.preventDefault(); undo(); return; }
  if (e.ctrlKey || e.metaKey) return;
  if (e.key === " " && !["button", "a", "summary"].includes(tag)) { e.preventDefault(); toggle(); }
  else if (key === "u") undo();
  else if ((key === "m" || key === "s") && focusedStem()) {
    toggleSet(key === "m" ? mixer.muted : mixer.soloed, focusedStem());
  }
}

/* ---------- versions ---------- */
function describeGains(gains) {
  const changed = Object.entries(gains || {}).filter(([, v]) => Math.abs(v - 1) > 1e-3);
  if (!changed.length) return "as planned";
  return changed.map(([name, v]) => `${name.replace(/_/g, " ")} ${v <= 0.001 ? "off" : `${(20 * Math.log10(v)).toFixed(1)} dB`}`).join(", ");
}

function drawVersions(listing) {
  const list = $("versions");
  list.innerHTML = "";
  const owner = hasOwnerToken(listing.session_id);
  for (const v of listing.versions) {
    const li = document.createElement("li");
    const current = v.n === listing.current;
    li.className = current ? "current" : "";
    if (current) li.setAttribute("aria-current", "true");
    const name = `Version ${v.n}${v.n === 0 ? " (first render)" : ""}`;
    const what = document.createElement("span");
    what.className = "version-gains";
    what.textContent = describeGains(v.stem_gains);
    if (owner && !current) {
      const b = document.createElement("button");
      Object.assign(b, { type: "button", className: "secondary small", textContent: `Play ${name}` });
      b.dataset.version = String(v.n);
      b.addEventListener("click", () => selectVersion(v.n));
      li.append(b, what);
    } else {
      const label = document.createElement("strong");
      label.textContent = current ? `${name}: playing` : name;
      li.append(label, what);
    }
    list.appendChild(li);
  }
}

async function selectVersion(n) {
  clearError();
  try {
    await api(`/api/remix/${state.id}/version`, {
      method: "POST", headers: { "Content-Type": "application/json", ...ownerHeaders(state.id) },
      body: JSON.stringify({ version: n }),
    });
    await loadVersion(await api(`/api/remix/${state.id}/status`));
    $("apply-status").textContent = `Version ${n} is playing again; Download and the share link give it.`;
  } catch (e) { showError(e.message); }
}

/* apply = render the draft as a new version */
async function apply() {
  clearError();
  $("apply").disabled = true;
  $("apply-status").textContent = "Sending…";
  try {
    await api(`/api/remix/${state.id}/rerender`, {
      method: "POST", headers: { "Content-Type": "application/json", ...ownerHeaders(state.id) },
      body: JSON.stringify({ stem_gains: effectiveGains() }),
    });
  } catch (e) {
    $("apply").disabled = false;
    $("apply-status").textContent = "";
    return showError(e.message);
  }
  followApply();
}

/* the re-render's progress (also when the page is opened while one runs) */
function followApply() {
  $("apply-bar").hidden = false;
  $("apply").disabled = true;
  listen(state.id, async (event) => {
    setProgress("apply-fill", null, event.progress);
    $("apply-status").textContent = event.detail || "Re-rendering…";
    if (!TERMINAL.has(event.step) && !["complete", "failed", "cancelled"].includes(event.status)) return;
    $("apply-bar").hidden = true;
    if (event.step === "error") { $("apply-status").textContent = ""; updateMix(); return showError(event.detail); }
    if (event.step !== "complete") { $("apply-status").textContent = "Cancelled."; return updateMix(); }
    try {
      await loadVersion(await api(`/api/remix/${state.id}/status`));
      $("apply-status").textContent = `Version ${mixer.version} is ready and playing: the master now has your fader settings.`;
    } catch (e) { showError(e.message); }
  });
}

/* ---------- song cards ---------- */
function drawCards(status) {
  const box = $("cards");
  box.innerHTML = "";
  const songs = status.songs || {};
  const music = status.music || {};
  const facts = (...parts) => parts.filter((p) => p !== null && p !== undefined && p !== "").join(" · ");
  for (const slot of ["song_a", "song_b"]) {
    const s = songs[slot];
    if (!s) continue;
    box.appendChild(card(s.role === "vocals" ? "Vocals from" : "Groove from", s.title,
      facts(s.bpm && `${s.bpm} BPM`, s.key, s.duration_s && fmtTime(s.duration_s)),
      s.artist || (s.file !== s.title ? s.file : ""), slot));
  }
  const mapping = { "1:1": "1:1 (beat for beat)", "2:1": "2:1 (two vocal beats per beat)", "1:2": "1:2 (one vocal beat per two)" }[music.mapping] || music.mapping;
  const shift = music.key_shift ? `key moved ${music.key_shift > 0 ? "+" : ""}${music.key_shift} semitones (vocals ${signed(music.vocal_shift)}, band ${signed(music.instrumental_shift)})`
    : music.key_skipped ? "keys left as they are" : "no key change needed";
  box.appendChild(card("The mashup", `${music.bpm ? `${music.bpm} BPM` : "tempo unknown"}${music.key ? ` · ${music.key}` : ""}`,
    facts(mapping && `tempo ${mapping}`), shift, "result"));
}
function signed(n) { return n ? `${n > 0 ? "+" : ""}${n}` : "0"; }
function card(role, title, facts, extra, kind) {
  const el = document.createElement("div");
  el.className = `song-card ${kind}`;
  el.dataset.card = kind;
  for (const [cls, text] of [["song-role", role], ["song-title", title], ["song-facts", facts], ["song-extra", extra]]) {
    if (!text) continue;
    const p = document.createElement("p");
    p.className = cls;
    p.textContent = text;
    el.appendChild(p);
  }
  return el;
}

/* ---------- owner-only controls: the share link is for listening ---------- */
function showOwnerControls(id) {
  const owner = hasOwnerToken(id);
  document.body.dataset.owner = String(owner);
  for (const el of document.querySelectorAll(".owner-only")) el.hidden = !owner;
  for (const el of document.querySelectorAll(".viewer-only")) el.hidden = owner;
}

async function deleteRemix() {
  if (!confirm("Delete this remix and its files now? The share link will stop working.")) return;
  try {
    await api(`/api/remix/${state.id}`, { method: "DELETE", headers: ownerHeaders(state.id) });
    stopPlayback();
    forgetRemix(state.id);
    history.pushState({}, "", "/");
    show("create");
  } catch (e) { showError(e.message); }
}

function setupStudio() {
  $("apply").addEventListener("click", apply);
  $("undo").addEventListener("click", undo);
  $("reset").addEventListener("click", backToVersion);
  $("delete").addEventListener("click", deleteRemix);
  document.addEventListener("keydown", onShortcut);
}
