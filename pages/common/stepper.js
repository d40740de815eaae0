// The client-side stepper (pages/common/stepper.py mounts it; lstm_vault.stepping makes its data).
//
// Python sends one payload per input, model and unit; every step after that happens here and sets no
// Streamlit state or trigger value, so stepping starts no script run. The step lives in `states`, keyed by
// the stepper's key, so it survives reruns (Streamlit calls this function again with the same
// parentElement when the data changes) and remounts; it is mirrored into the address (?t=N) with
// history.replaceState. Everything that comes from the data is written with textContent or setAttribute;
// the only markup parsed is the cell's SVG template, which the library draws and which holds no data.

const VERSION = 1;
const URL_EVERY_MS = 250; // address writes at most this often (Chrome throttles bursts of replaceState)
const states = new Map(); // stepper key -> {t, playing, speed, fingerprint, anchorT, anchorTime}
const views = new WeakMap(); // parentElement -> the DOM of one mounted stepper

export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector(".lv-stepper");
  if (!root || !data) return undefined;
  let view = views.get(parentElement);
  if (!view) {
    view = mount(root);
    views.set(parentElement, view);
  }
  if (data.version !== VERSION) {
    view.note.textContent = `This stepper reads payload version ${VERSION}, not ${data.version}.`;
    return () => unmount(view, parentElement);
  }
  let state = states.get(data.key);
  if (!state) {
    state = { t: data.initial_t, playing: false, speed: data.play.speed, fingerprint: null };
    states.set(data.key, state);
  }
  view.state = state;
  view.urlParam = data.url_param;
  if (view.data?.fingerprint !== data.fingerprint) load(view, data);
  if (state.fingerprint !== data.fingerprint) {
    state.fingerprint = data.fingerprint; // a new view of the data: keep the step, inside the new range
    state.t = clamp(state.t, data.T);
    anchor(state);
  }
  render(view);
  if (state.playing) loop(view);
  return () => unmount(view, parentElement);
}

function clamp(t, T) {
  return Math.min(T - 1, Math.max(0, Math.round(Number(t) || 0)));
}

function part(root, name) {
  return root.querySelector(`.lv-${name}`);
}

function mount(root) {
  const view = { root, pathname: window.location.pathname, lastUrlAt: 0, raf: 0 };
  for (const name of ["head", "cell", "readings", "caption", "prev", "slider", "next", "play", "speed",
    "strip", "canvas", "row", "marker", "strip-label", "note", "pred", "pred-title", "pred-rows", "pred-lines"]) {
    view[name.replace("-", "_")] = part(root, name);
  }
  const step = (t) => {
    pause(view);
    setStep(view, t);
  };
  view.prev.addEventListener("click", () => step(view.state.t - 1));
  view.next.addEventListener("click", () => step(view.state.t + 1));
  view.slider.addEventListener("input", () => step(Number(view.slider.value)));
  view.play.addEventListener("click", () => togglePlay(view));
  view.speed.addEventListener("change", () => {
    view.state.speed = Number(view.speed.value);
    anchor(view.state); // applied at once, also during Play
  });
  root.addEventListener("keydown", (event) => {
    if (event.target === view.speed || event.altKey || event.ctrlKey || event.metaKey) return;
    const { t } = view.state;
    const T = view.data.T;
    const to = { ArrowLeft: t - 1, ArrowDown: t - 1, ArrowRight: t + 1, ArrowUp: t + 1, Home: 0, End: T - 1,
      PageUp: t - 10, PageDown: t + 10 }[event.key];
    if (to === undefined) return;
    event.preventDefault(); // the page must not scroll, nor the range input step a second time
    step(to);
  });
  const seek = (event) => {
    const box = view.strip.getBoundingClientRect();
    step(Math.floor(((event.clientX - box.left) / box.width) * view.data.T));
  };
  view.strip.addEventListener("pointerdown", (event) => {
    view.strip.setPointerCapture(event.pointerId);
    root.focus({ preventScroll: true });
    seek(event);
  });
  view.strip.addEventListener("pointermove", (event) => {
    if (event.buttons) seek(event);
  });
  view.timer = setInterval(() => {
    writeUrl(view); // also restores t after Streamlit rewrites the address
    mark(view); // and marks a chart that a rerun drew after this stepper
  }, URL_EVERY_MS);
  return view;
}

function unmount(view, parentElement) {
  cancelAnimationFrame(view.raf);
  clearInterval(view.timer);
  views.delete(parentElement);
}

function f32(base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer); // little-endian, as the library writes it
}

function load(view, data) {
  view.data = data;
  const cell = data.cell;
  if (view.svgSource !== cell.svg) {
    // the library's template: shapes and fixed labels; every label of the data is a slot filled below
    const doc = new DOMParser().parseFromString(cell.svg, "image/svg+xml");
    view.cell.replaceChildren(document.importNode(doc.documentElement, true));
    view.svgSource = cell.svg;
  }
  const svg = view.cell.firstElementChild;
  view.texts = cell.text_keys.map((k) => svg.querySelector(`[data-text="${CSS.escape(k)}"]`));
  view.fills = cell.fill_keys.map((k) => svg.querySelector(`[data-fill="${CSS.escape(k)}"]`));
  view.slider.max = String(Math.max(0, data.T - 1));
  view.slider.disabled = data.T < 2;
  view.play.disabled = data.T < 2;
  view.speed.replaceChildren(...data.play.speeds.map((s) => new Option(`${s} steps/s`, String(s))));
  view.caption.replaceChildren(...(data.caption ? runs(data.caption) : []));
  view.note.textContent = data.note ?? "";
  view.strip_label.textContent = data.timeline.label;
  view.pred.hidden = !data.prediction;
  paintStrip(view, data);
}

function paintStrip(view, data) {
  const tl = data.timeline;
  const U = data.units.length;
  const values = f32(data.series[tl.series]); // (T, U) row-major
  const canvas = view.canvas;
  canvas.width = data.T;
  canvas.height = U;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(data.T, U);
  const [lo, hi] = tl.range;
  for (let t = 0; t < data.T; t++) {
    for (let u = 0; u < U; u++) {
      const rgb = colorAt(tl.colors, (values[t * U + u] - lo) / (hi - lo));
      image.data.set([...rgb, 255], 4 * (u * data.T + t));
    }
  }
  ctx.putImageData(image, 0, 0);
  view.strip.style.height = `${Math.min(96, Math.max(18, 3 * U))}px`;
  view.row.style.top = `${(100 * tl.row) / U}%`;
  view.row.style.height = `${100 / U}%`;
  view.row.hidden = U < 2;
}

function colorAt(scale, x) {
  const p = Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0.5;
  let i = 1;
  while (i < scale.length - 1 && scale[i][0] < p) i++;
  const [p0, c0] = scale[i - 1];
  const [p1, c1] = scale[i];
  const w = p1 > p0 ? (p - p0) / (p1 - p0) : 0;
  return c0.map((c, k) => Math.round(c + w * (c1[k] - c)));
}

function runs(parts) {
  // a sentence as runs, plain and bold in turn: text nodes and <b> elements, never parsed as HTML
  return parts.map((text, i) => {
    if (i % 2 === 0) return document.createTextNode(text);
    const b = document.createElement("b");
    b.textContent = text;
    return b;
  });
}

function render(view) {
  const { data, state } = view;
  const t = state.t;
  view.root.dataset.t = String(t);
  view.root.dataset.playing = String(state.playing);
  view.head.textContent = data.headers[t];
  data.cell.texts[t].forEach((label, k) => {
    view.texts[k].textContent = label;
  });
  const fills = data.cell.fills[t];
  view.fills.forEach((rect, k) => {
    rect.setAttribute("y", fills[2 * k].toFixed(1));
    rect.setAttribute("height", fills[2 * k + 1].toFixed(1));
  });
  view.readings.replaceChildren(
    ...data.readings[t].map((sentence) => {
      const li = document.createElement("li");
      li.append(...runs(sentence));
      return li;
    }),
  );
  if (data.prediction) renderPrediction(view, data.prediction[t]);
  view.slider.value = String(t);
  view.slider.setAttribute("aria-valuetext", data.headers[t]);
  view.prev.disabled = t <= 0;
  view.next.disabled = t >= data.T - 1;
  view.play.textContent = state.playing ? "❚❚ Pause" : "▶ Play";
  view.speed.value = String(state.speed);
  view.marker.style.left = `${(100 * (t + 0.5)) / data.T}%`;
  mark(view);
  if (performance.now() - view.lastUrlAt >= URL_EVERY_MS) writeUrl(view);
}

function renderPrediction(view, p) {
  // the read-out at step t: every string is data (a character of a text), written as text
  view.pred.dataset.muted = String(p.muted);
  view.pred_title.textContent = p.title;
  view.pred_rows.replaceChildren(
    ...p.rows.map((cells) => {
      const tr = document.createElement("tr");
      for (const text of cells) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    }),
  );
  view.pred_lines.replaceChildren(
    ...p.lines.map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }),
  );
}

function mark(view) {
  // charts outside the stepper that mark step t: each st.container(key=...) named in data.marks gets the step's
  // centre as a fraction of the time axis, --lv-step; the page's own CSS draws the line from it
  if (!view.data) return;
  const at = String((view.state.t + 0.5) / view.data.T);
  for (const key of view.data.marks ?? []) {
    document.querySelector(`.st-key-${CSS.escape(key)}`)?.style.setProperty("--lv-step", at);
  }
}

function setStep(view, t) {
  const to = clamp(t, view.data.T);
  if (to === view.state.t) return;
  view.state.t = to;
  render(view);
}

function writeUrl(view) {
  // only on the page this stepper lives on: Streamlit may have moved to another page before unmounting it
  if (!view.data || window.location.pathname !== view.pathname) return;
  const url = new URL(window.location.href);
  const value = String(view.state.t);
  if (url.searchParams.get(view.urlParam) === value) return;
  url.searchParams.set(view.urlParam, value);
  window.history.replaceState(window.history.state, "", url);
  view.lastUrlAt = performance.now();
}

function anchor(state) {
  // Play is a function of time since the anchor, so a change of speed or data resumes from the step shown
  state.anchorT = state.t;
  state.anchorTime = performance.now();
}

function pause(view) {
  if (!view.state.playing) return;
  view.state.playing = false;
  cancelAnimationFrame(view.raf);
  render(view);
}

function togglePlay(view) {
  const { state, data } = view;
  if (state.playing) return pause(view);
  if (state.t >= data.T - 1) state.t = 0; // Play at the last step plays again from the start
  state.playing = true;
  anchor(state);
  render(view);
  loop(view);
}

function loop(view) {
  cancelAnimationFrame(view.raf);
  const frame = (now) => {
    const { state, data } = view;
    if (!state.playing) return;
    // at most max_seconds for a whole play-through: a long sequence skips steps
    const rate = Math.max(state.speed, (data.T - 1) / data.play.max_seconds);
    const t = Math.min(data.T - 1, state.anchorT + Math.floor(((now - state.anchorTime) / 1000) * rate));
    if (t >= data.T - 1) state.playing = false; // stop at the last step, never wrap around
    if (t !== state.t || !state.playing) {
      state.t = Math.max(t, state.t);
      render(view);
    }
    if (state.playing) view.raf = requestAnimationFrame(frame);
  };
  view.raf = requestAnimationFrame(frame);
}
