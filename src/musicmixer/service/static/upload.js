/* musicmixer page, part 2: pick two songs, type the prompt, upload, follow progress.
 * Classic script; shares globals ($, state, LIMITS, api, listen...) with app.js. */
"use strict";

/* The progress steps in order, from GET /api/stages (the server's one stage table);
 * `current` is the step shown (null: the first), `drawn` once the progress card is up. */
const STEPS = { list: [], current: null, drawn: false };

function loadSteps() {
  return api("/api/stages").then((table) => {
    STEPS.list = table.steps;
    if (STEPS.drawn) renderStages(STEPS.current);
  }).catch(() => {});
}

/* ---------- 1. choosing songs ---------- */
function fileProblem(file) {
  const ext = (file.name.split(".").pop() || "").toLowerCase();
  if (!["mp3", "wav"].includes(ext)) return `${file.name} is not an MP3 or WAV file.`;
  if (file.size === 0) return `${file.name} is empty.`;
  if (file.size > LIMITS.mb * 1e6) return `${file.name} is over the ${LIMITS.mb} MB limit.`;
  return null;
}

function setFile(field, file) {
  const nameEl = $(field === "song_a" ? "name-a" : "name-b");
  const zone = $(field === "song_a" ? "drop-a" : "drop-b");
  const problem = file && fileProblem(file);
  if (problem) { showError(problem); return; }
  state.files[field] = file;
  nameEl.textContent = file ? `${file.name} (${(file.size / 1e6).toFixed(1)} MB)` : "";
  zone.classList.toggle("has-file", Boolean(file));
}

function setupDrops() {
  for (const zone of document.querySelectorAll(".drop")) {
    const field = zone.dataset.field;
    const input = zone.querySelector("input");
    input.addEventListener("change", () => setFile(field, input.files[0]));
    zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      zone.classList.remove("over");
      if (e.dataTransfer.files.length) setFile(field, e.dataTransfer.files[0]);
    });
  }
  const prompt = $("prompt");
  prompt.addEventListener("input", () => { $("prompt-count").textContent = prompt.value.length; });
}

function submit(e) {
  e.preventDefault();
  submitForm();
}

/* The form as it stands (also "try again": the files stay in state.files). */
function submitForm() {
  clearError();
  const prompt = $("prompt").value.trim();
  if (!state.files.song_a || !state.files.song_b) return showError("Choose two songs first.");
  if (!prompt) { $("prompt").focus(); return showError("Type a prompt that says what the mashup should be."); }
  const form = new FormData();
  form.append("song_a", state.files.song_a);
  form.append("song_b", state.files.song_b);
  form.append("prompt", prompt);
  if ($("opt-7stem").checked) form.append("options", JSON.stringify({ vocal_sub_separation: true }));
  const xhr = new XMLHttpRequest();
  $("submit").disabled = true;
  xhr.upload.onprogress = (ev) => {
    if (ev.lengthComputable) $("upload-status").textContent = `Uploading… ${Math.round(100 * ev.loaded / ev.total)}%`;
  };
  xhr.onerror = () => { $("submit").disabled = false; offerRetry("The upload failed: cannot reach the server."); };
  xhr.onload = () => {
    $("submit").disabled = false;
    $("upload-status").textContent = "";
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
    if (xhr.status >= 400 || !body) {  /* the form keeps the files and the prompt */
      const detail = (body && typeof body.detail === "string") ? body.detail : `The upload failed (${xhr.status}).`;
      return offerRetry(detail.replace(/^song_([ab]):/, (m, slot) => `Song ${slot.toUpperCase()}:`));
    }
    saveOwnerToken(body.session_id, body.owner_token);
    rememberRemix(body.session_id, { prompt, songs: {
      song_a: { title: state.files.song_a.name }, song_b: { title: state.files.song_b.name } } });
    history.pushState({}, "", `/r/${body.session_id}`);
    follow(body.session_id);
  };
  xhr.open("POST", "/api/remix");
  xhr.send(form);
}

/* ---------- 2. progress ---------- */
function renderStages(step) {
  const list = $("stages");
  /* a failure or cancel stays on the step it happened in, marked, rather than greying all */
  const stopped = step === "error" || step === "cancelled";
  if (stopped) step = STEPS.current;
  Object.assign(STEPS, { current: step, drawn: true });
  const at = step === null ? 0 : STEPS.list.findIndex((s) => s.step === step);
  list.innerHTML = "";
  STEPS.list.forEach(({ label }, i) => {
    const li = document.createElement("li");
    li.textContent = label;
    li.className = i < at ? "done" : i === at ? (stopped ? "stopped" : "current") : "";
    if (i === at) li.setAttribute("aria-current", "step");
    list.appendChild(li);
  });
}

function follow(id) {
  state.id = id;
  show("progress");
  renderStages(null);
  $("cancel").disabled = false;
  showOwnerControls(id);
  listen(id, (event) => {
    renderStages(event.step);
    setProgress("progress-fill", "progress-bar", event.progress);
    $("progress-detail").textContent = event.detail || "";
    if (event.step === "complete" || event.status === "complete") loadPlayer(id);
    else if (event.step === "error" || event.status === "failed") {
      offerRetry(event.detail || event.error || "The remix failed.");
      $("cancel").hidden = true;
    } else if (event.step === "cancelled" || event.status === "cancelled") {
      $("progress-detail").textContent = "Cancelled.";
      offerRetry("The remix was cancelled.");
      $("cancel").hidden = true;
    }
  });
}

async function cancel() {
  try {
    await api(`/api/remix/${state.id}/cancel`, { method: "POST", headers: ownerHeaders(state.id) });
  } catch (e) { showError(e.message); }
}
