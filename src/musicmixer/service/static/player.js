/* musicmixer page, part 3: the player. One transport plays either the
 * version served (its master MP3, decoded: exactly what "Download" gives) or,
 * once a fader, mute or solo differs from that version, the draft: the
 * rendered stems live through Web Audio, one GainNode per stem. Both run in
 * step, so switching is a change of two bus gains, never a jump in time.
 * Waveform, sections timeline and transport live here; the faders, versions,
 * apply and cards in studio.js.
 * Classic script; shares globals ($, state, api, listen...) with app.js. */
"use strict";

/* The live mix, exposed for tests and the curious: window.musicmixer. */
const mixer = {
  ctx: null, stemBus: null, masterBus: null, gains: {}, analysers: {}, buffers: {},
  masterBuffer: null, sources: [], playing: false, offset: 0, startedAt: 0, duration: 0,
  peaks: {}, faders: {}, muted: new Set(), soloed: new Set(), version: 0, versionGains: {},
  previewGain: 1, mode: "version",
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
  document.body.dataset.ready = "false";
  $("loading").textContent = "Loading the stems…";
  try {
    const [status, stems] = await Promise.all([
      api(`/api/remix/${id}/status`), api(`/api/remix/${id}/stems`),
    ]);
    showStatus(status);
    await setupMixer(stems);
    await loadVersion(status);
    rememberRemix(id, status);
    $("loading").textContent = "";
    document.body.dataset.ready = "true";
    if (status.rerendering) followApply();
  } catch (e) {
    $("loading").textContent = "";
    showError(e.message);
  }
}

async function decodeUrl(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`Could not load ${url.split("/").pop()} (${res.status}).`);
  return mixer.ctx.decodeAudioData(await res.arrayBuffer());
}

/* The version the server serves: its master, its gains on the faders, its sections. */
async function loadVersion(status) {
  const id = status.session_id;
  const [plan, versions, master] = await Promise.all([
    api(`/api/remix/${id}/plan`), api(`/api/remix/${id}/versions`),
    decodeUrl(`${status.audio_url}?version=${status.version}`),
  ]);
  const playing = mixer.playing;
  stopPlayback();
  mixer.masterBuffer = master;
  mixer.version = status.version;
  mixer.versionGains = { ...status.stem_gains };
  mixer.duration = Math.max(plan.duration_s || 0, master.duration);
  showStatus(status);
  restoreDraft({ faders: mixer.versionGains, muted: [], soloed: [] });
  clearUndo();
  drawTimeline(plan.sections);
  drawVersions(versions);
  drawWave();
  document.body.dataset.version = String(status.version);
  document.body.dataset.renders = String(status.renders || 0);
  if (playing) startPlayback();
  updateClock();
}

function showStatus(status) {
  state.status = status;
  $("explanation").textContent = status.explanation || "";
  const warnings = $("warnings");
  warnings.innerHTML = "";
  for (const w of status.warnings || []) {
    const li = document.createElement("li");
    li.textContent = w;
    warnings.appendChild(li);
  }
  const v = status.version || 0;
  $("download").href = `${status.audio_url}?download=true&version=${v}`;
  $("download").textContent = `Download MP3 (version ${v})`;
  $("download-stems").href = status.stems_zip_url;
  $("download-plan").href = status.plan_file_url;
  $("share-url").value = new URL(status.share_url, location.href).href;
  const hours = status.expires_in_s / 3600;
  $("expiry").textContent = hours >= 1
    ? `The link works for about ${hours.toFixed(1)} more hours; then the remix is deleted.`
    : `The link works for about ${Math.max(1, Math.round(status.expires_in_s / 60))} more minutes.`;
  drawCards(status);
  showOwnerControls(status.session_id);
}

async function setupMixer(listing) {
  stopPlayback();
  if (!mixer.ctx) {
    mixer.ctx = new AudioContext();
    const limiter = mixer.ctx.createDynamicsCompressor();
    limiter.threshold.value = -1; limiter.ratio.value = 20;
    limiter.attack.value = 0.002; limiter.release.value = 0.1;
    mixer.stemBus = mixer.ctx.createGain();
    mixer.stemBus.connect(limiter).connect(mixer.ctx.destination);
    mixer.masterBus = mixer.ctx.createGain();
    mixer.masterBus.connect(mixer.ctx.destination);
  }
  mixer.previewGain = Math.pow(10, (listing.preview_gain_db || 0) / 20);
  const faders = $("faders");
  faders.innerHTML = "";
  Object.assign(mixer, { gains: {}, analysers: {}, buffers: {}, peaks: {}, duration: 0 });
  const decoded = await Promise.all(listing.stems.map(async (stem) => [stem, await decodeUrl(stem.url)]));
  for (const [stem, buffer] of decoded) {
    const gain = mixer.ctx.createGain();
    const analyser = mixer.ctx.createAnalyser();
    analyser.fftSize = 2048;
    gain.connect(analyser);
    gain.connect(mixer.stemBus);
    mixer.gains[stem.name] = gain;
    mixer.analysers[stem.name] = analyser;
    mixer.buffers[stem.name] = buffer;
    mixer.faders[stem.name] = mixer.faders[stem.name] ?? 1;
    mixer.duration = Math.max(mixer.duration, buffer.duration);
    mixer.peaks[stem.name] = peaksOf(buffer, 1200);
    faders.appendChild(faderRow(stem));
  }
  updateClock();
}

/* What each stem plays at: its fader, unless muted or (while any stem is soloed) not soloed. */
function effectiveGains() {
  const out = {};
  for (const name of Object.keys(mixer.buffers)) {
    const on = mixer.soloed.size ? mixer.soloed.has(name) && !mixer.muted.has(name) : !mixer.muted.has(name);
    out[name] = on ? mixer.faders[name] ?? 1 : 0;
  }
  return out;
}

/* After any change: the stems' gains, and which bus is heard (version or draft). */
function updateMix() {
  const gains = effectiveGains();
  const t = mixer.ctx ? mixer.ctx.currentTime : 0;
  let draft = false;
  for (const [name, value] of Object.entries(gains)) {
    const node = mixer.gains[name].gain;
    node.cancelScheduledValues(t);
    node.setValueAtTime(value, t);
    node.value = value;
    if (Math.abs(value - (mixer.versionGains[name] ?? 1)) > 1e-3) draft = true;
  }
  mixer.mode = draft ? "draft" : "version";
  if (mixer.stemBus) {
    mixer.stemBus.gain.value = draft ? mixer.previewGain : 0;
    mixer.masterBus.gain.value = draft ? 0 : 1;
  }
  document.body.dataset.mode = mixer.mode;
  $("now-playing").textContent = draft
    ? `Draft (live stems): not applied yet; Download gives version ${mixer.version}`
    : `Version ${mixer.version}: what Download gives`;
  $("now-playing").classList.toggle("draft", draft);
  $("apply").disabled = !draft;
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
  const gains = effectiveGains();
  for (const n of names) {
    const f = gains[n] ?? 1;
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
  const start = (buffer, node) => {
    const src = ctx.createBufferSource();
    src.buffer = buffer;
    src.connect(node);
    if (mixer.offset < buffer.duration) src.start(when, mixer.offset);
    return src;
  };
  mixer.sources = Object.entries(mixer.buffers).map(([name, buffer]) => start(buffer, mixer.gains[name]));
  if (mixer.masterBuffer) mixer.sources.push(start(mixer.masterBuffer, mixer.masterBus));
  const last = mixer.sources[mixer.sources.length - 1];
  if (last) last.onended = () => { if (mixer.playing && position() >= mixer.duration - 0.1) { stopPlayback(); mixer.offset = 0; updateClock(); } };
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
  window.addEventListener("resize", scheduleWave);
}

async function copyLink() {
  const input = $("share-url");
  input.select();
  try { await navigator.clipboard.writeText(input.value); $("copy").textContent = "Copied"; }
  catch (e) { document.execCommand("copy"); $("copy").textContent = "Copied"; }
  setTimeout(() => { $("copy").textContent = "Copy"; }, 2000);
}

Object.assign(mixer, { seek, toggle, position });
