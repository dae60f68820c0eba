/* musicmixer page, part 3: the player. Rendered stems play through Web Audio,
 * one GainNode per stem, so faders change the mix live; waveform, sections
 * timeline, transport, "Apply" (re-render the master), reset and share.
 * Classic script; shares globals ($, state, api, listen...) with app.js. */
"use strict";

/* The live mix, exposed for tests and the curious: window.musicmixer. */
const mixer = {
  ctx: null, master: null, gains: {}, analysers: {}, buffers: {}, sources: [],
  playing: false, offset: 0, startedAt: 0, duration: 0, peaks: {}, faders: {},
  stemLevel(name) {
    const a = this.analysers[name];
    if (!a) return null;
    const data = new Float32Array(a.fftSize);
    a.getFloatTimeDomainData(data);
    let sum = 0;
    for (const x of data) sum += x * x;
    return Math.sqrt(sum / data.length);
  },
};
window.musicmixer = mixer;

function fmtTime(s) {
  s = Math.max(0, s || 0);
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
}

/* ---------- 3. the player ---------- */
async function loadPlayer(id) {
  show("player");
  $("loading").textContent = "Loading the stems…";
  try {
    const [status, stems, plan] = await Promise.all([
      api(`/api/remix/${id}/status`), api(`/api/remix/${id}/stems`), api(`/api/remix/${id}/plan`),
    ]);
    showStatus(status);
    await setupMixer(stems);
    mixer.duration = plan.duration_s || mixer.duration;
    drawTimeline(plan.sections);
    drawWave();
    $("loading").textContent = "";
    document.body.dataset.ready = "true";
  } catch (e) {
    $("loading").textContent = "";
    showError(e.message);
  }
}

function showStatus(status) {
  $("explanation").textContent = status.explanation || "";
  const warnings = $("warnings");
  warnings.innerHTML = "";
  for (const w of status.warnings || []) {
    const li = document.createElement("li");
    li.textContent = w;
    warnings.appendChild(li);
  }
  const version = status.renders || 0;
  $("master").src = `${status.audio_url}?v=${version}`;
  $("download").href = `${status.audio_url}?download=true&v=${version}`;
  $("share-url").value = new URL(status.share_url, location.href).href;
  const hours = status.expires_in_s / 3600;
  $("expiry").textContent = hours >= 1
    ? `The link works for about ${hours.toFixed(1)} more hours; then the remix is deleted.`
    : `The link works for about ${Math.max(1, Math.round(status.expires_in_s / 60))} more minutes.`;
}

async function setupMixer(listing) {
  stopPlayback();
  if (!mixer.ctx) {
    mixer.ctx = new AudioContext();
    const limiter = mixer.ctx.createDynamicsCompressor();
    limiter.threshold.value = -1; limiter.ratio.value = 20;
    limiter.attack.value = 0.002; limiter.release.value = 0.1;
    mixer.master = mixer.ctx.createGain();
    mixer.master.connect(limiter).connect(mixer.ctx.destination);
  }
  mixer.master.gain.value = Math.pow(10, (listing.preview_gain_db || 0) / 20);
  const faders = $("faders");
  faders.innerHTML = "";
  mixer.gains = {}; mixer.analysers = {}; mixer.buffers = {}; mixer.peaks = {};
  const decoded = await Promise.all(listing.stems.map(async (stem) => {
    const res = await fetch(stem.url);
    if (!res.ok) throw new Error(`Could not load the ${stem.name} stem (${res.status}).`);
    return [stem, await mixer.ctx.decodeAudioData(await res.arrayBuffer())];
  }));
  for (const [stem, buffer] of decoded) {
    const gain = mixer.ctx.createGain();
    const analyser = mixer.ctx.createAnalyser();
    analyser.fftSize = 2048;
    gain.connect(analyser);
    gain.connect(mixer.master);
    const value = mixer.faders[stem.name] ?? 1;
    gain.gain.value = value;
    Object.assign(mixer.gains, { [stem.name]: gain });
    mixer.analysers[stem.name] = analyser;
    mixer.buffers[stem.name] = buffer;
    mixer.faders[stem.name] = value;
    mixer.duration = Math.max(mixer.duration, buffer.duration);
    mixer.peaks[stem.name] = peaksOf(buffer, 1200);
    faders.appendChild(faderRow(stem, value));
  }
  updateClock();
}

function faderRow(stem, value) {
  const row = document.createElement("div");
  row.className = `fader ${stem.vocal ? "vocal" : ""}`;
  const id = `fader-${stem.name}`;
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = stem.label;  /* from the API: the stem mode's label */
  const input = document.createElement("input");
  Object.assign(input, { type: "range", id, min: "0", max: "2", step: "0.01", value: String(value) });
  input.dataset.stem = stem.name;
  const out = document.createElement("output");
  out.htmlFor = id;
  const update = () => {
    const v = parseFloat(input.value);
    out.textContent = v <= 0.001 ? "off" : `${(20 * Math.log10(v)).toFixed(1)} dB`;
    input.setAttribute("aria-valuetext", out.textContent);
    setStemGain(stem.name, v);
  };
  input.addEventListener("input", update);
  update();
  row.append(label, input, out);
  return row;
}

function setStemGain(name, value) {
  mixer.faders[name] = value;
  const gain = mixer.gains[name];
  if (!gain) return;
  const t = mixer.ctx.currentTime;
  gain.gain.cancelScheduledValues(t);
  gain.gain.setValueAtTime(value, t);
  scheduleWave();
}

function peaksOf(buffer, columns) {
  const data = buffer.getChannelData(0);
  const step = Math.max(1, Math.floor(data.length / columns));
  const peaks = new Float32Array(columns);
  for (let c = 0; c < columns; c++) {
    let max = 0;
    const end = Math.min(data.length, (c + 1) * step);
    for (let i = c * step; i < end; i += 4) max = Math.max(max, Math.abs(data[i]));
    peaks[c] = max;
  }
  return peaks;
}

let waveTimer = null;
function scheduleWave() { clearTimeout(waveTimer); waveTimer = setTimeout(drawWave, 50); }

function drawWave() {
  const canvas = $("wave");
  const ratio = window.devicePixelRatio || 1;
  canvas.width = canvas.clientWidth * ratio;
  canvas.height = canvas.clientHeight * ratio;
  const g = canvas.getContext("2d");
  g.clearRect(0, 0, canvas.width, canvas.height);
  const names = Object.keys(mixer.peaks);
  if (!names.length) return;
  const columns = mixer.peaks[names[0]].length;
  const sum = new Float32Array(columns);
  for (const n of names) {
    const f = mixer.faders[n] ?? 1;
    mixer.peaks[n].forEach((p, i) => { sum[i] += p * f; });
  }
  const top = Math.max(...sum, 1e-6);
  const mid = canvas.height / 2;
  g.fillStyle = getComputedStyle(document.body).getPropertyValue("--wave").trim() || "#7dd3fc";
  const w = canvas.width / columns;
  for (let i = 0; i < columns; i++) {
    const h = Math.max(1, (sum[i] / top) * mid * 0.95);
    g.fillRect(i * w, mid - h, Math.max(1, w - 0.5), 2 * h);
  }
}

function drawTimeline(sections) {
  const line = $("timeline");
  line.innerHTML = "";
  const total = mixer.duration || 1;
  for (const s of sections || []) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = `section ${s.label}`;
    b.style.left = `${(100 * s.start_s) / total}%`;
    b.style.width = `${(100 * (s.end_s - s.start_s)) / total}%`;
    b.textContent = s.label;
    b.title = `${s.label}: ${fmtTime(s.start_s)}–${fmtTime(s.end_s)}`;
    b.setAttribute("aria-label", `Jump to ${s.label} at ${fmtTime(s.start_s)}`);
    b.addEventListener("click", () => seek(s.start_s));
    line.appendChild(b);
  }
}

/* transport */
function position() {
  if (!mixer.playing) return mixer.offset;
  return Math.min(mixer.duration, mixer.offset + mixer.ctx.currentTime - mixer.startedAt);
}

function startPlayback() {
  const ctx = mixer.ctx;
  if (!ctx) return;
  ctx.resume();
  if (mixer.offset >= mixer.duration - 0.05) mixer.offset = 0;
  const when = ctx.currentTime + 0.05;
  mixer.sources = Object.entries(mixer.buffers).map(([name, buffer]) => {
    const src = ctx.createBufferSource();
    src.buffer = buffer;
    src.connect(mixer.gains[name]);
    src.start(when, mixer.offset);
    return src;
  });
  if (mixer.sources[0]) mixer.sources[0].onended = () => { if (mixer.playing && position() >= mixer.duration - 0.1) { stopPlayback(); mixer.offset = 0; updateClock(); } };
  mixer.startedAt = when;
  mixer.playing = true;
  $("play").textContent = "Pause";
  $("play").setAttribute("aria-label", "Pause");
  requestAnimationFrame(tick);
}

function stopPlayback() {
  if (mixer.playing) mixer.offset = position();
  for (const s of mixer.sources) { s.onended = null; try { s.stop(); } catch (e) { /* already stopped */ } }
  mixer.sources = [];
  mixer.playing = false;
  $("play").textContent = "Play";
  $("play").setAttribute("aria-label", "Play");
}

function toggle() { if (mixer.playing) stopPlayback(); else startPlayback(); updateClock(); }

function seek(seconds) {
  const playing = mixer.playing;
  stopPlayback();
  mixer.offset = Math.min(Math.max(seconds, 0), mixer.duration);
  if (playing) startPlayback();
  updateClock();
}

function updateClock() {
  const pos = position();
  $("clock").textContent = `${fmtTime(pos)} / ${fmtTime(mixer.duration)}`;
  const wave = $("wave");
  wave.setAttribute("aria-valuemax", String(Math.round(mixer.duration)));
  wave.setAttribute("aria-valuenow", String(Math.round(pos)));
  wave.setAttribute("aria-valuetext", fmtTime(pos));
  $("playhead").style.left = `${(100 * pos) / (mixer.duration || 1)}%`;
}

function tick() {
  updateClock();
  if (mixer.playing) requestAnimationFrame(tick);
}

function setupTransport() {
  $("play").addEventListener("click", toggle);
  const wave = $("wave");
  wave.addEventListener("click", (e) => {
    const r = wave.getBoundingClientRect();
    seek(((e.clientX - r.left) / r.width) * mixer.duration);
  });
  wave.addEventListener("keydown", (e) => {
    const moves = { ArrowLeft: -5, ArrowRight: 5, PageDown: -30, PageUp: 30 };
    if (e.key in moves) { e.preventDefault(); seek(position() + moves[e.key]); }
    else if (e.key === "Home") { e.preventDefault(); seek(0); }
    else if (e.key === "End") { e.preventDefault(); seek(mixer.duration); }
  });
  document.addEventListener("keydown", (e) => {
    const tag = (e.target.tagName || "").toLowerCase();
    if (e.key === " " && !$("player").hidden && !["input", "textarea", "button", "select", "a", "audio"].includes(tag)) {
      e.preventDefault();
      toggle();
    }
  });
  window.addEventListener("resize", scheduleWave);
}

/* apply = re-render the master with the faders */
async function apply() {
  clearError();
  $("apply").disabled = true;
  $("apply-status").textContent = "Sending…";
  try {
    await api(`/api/remix/${state.id}/rerender`, {
      method: "POST", headers: { "Content-Type": "application/json", ...ownerHeaders(state.id) },
      body: JSON.stringify({ stem_gains: mixer.faders }),
    });
  } catch (e) {
    $("apply").disabled = false;
    $("apply-status").textContent = "";
    return showError(e.message);
  }
  $("apply-bar").hidden = false;
  listen(state.id, async (event) => {
    setProgress("apply-fill", null, event.progress);
    $("apply-status").textContent = event.detail || "Re-rendering…";
    if (!TERMINAL.has(event.step) && !["complete", "failed", "cancelled"].includes(event.status)) return;
    $("apply").disabled = false;
    $("apply-bar").hidden = true;
    if (event.step === "error") { $("apply-status").textContent = ""; return showError(event.detail); }
    const status = await api(`/api/remix/${state.id}/status`).catch((e) => showError(e.message));
    if (status) showStatus(status);
    $("apply-status").textContent = event.step === "complete" ? "The master now has your fader settings." : "Cancelled.";
    document.body.dataset.renders = String((status && status.renders) || 0);
  });
}

function resetFaders() {
  for (const input of document.querySelectorAll("#faders input[type=range]")) {
    input.value = "1";
    input.dispatchEvent(new Event("input"));
  }
}

async function copyLink() {
  const input = $("share-url");
  input.select();
  try { await navigator.clipboard.writeText(input.value); $("copy").textContent = "Copied"; }
  catch (e) { document.execCommand("copy"); $("copy").textContent = "Copied"; }
  setTimeout(() => { $("copy").textContent = "Copy"; }, 2000);
}

Object.assign(mixer, { seek, toggle, position });
