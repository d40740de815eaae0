// The Vanishing gradients page's live view (pages/common/gradient_live.py mounts it; lstm_vault.gradient_live
// makes its data). Python sends, once per input, size and seed, every line and sentence for every ρ and
// forget-gate bias the sliders here may reach, and for the lengths next to the committed one a view at the
// committed ρ and bias; moving a slider only swaps path geometry and text (and, for a length, the charts'
// templates), with no script run. Several parts of the page (the sliders and chart, the RNN's and LSTM's
// readings, the forget chart, the input sentences) are separate mounts of this component that share one
// group state.
//
// Python is told where the sliders rest (setStateValue "at", once they have been still for SETTLE_MS), so
// that what it draws itself (every ρ and bias at a new length, the edge sweep, heatmaps, the link)
// follows. Data is written with textContent / setAttribute; the only markup parsed is each chart's SVG
// template, which the library draws and which holds no data.

const VERSION = 1;
const SETTLE_MS = 400;
const EXPAND_AFTER_MS = 1000; // a first view's other slider values are asked for after this long
const URL_EVERY_MS = 250; // address writes at most this often (Chrome throttles bursts of replaceState)
const NAMES = ["T", "rho", "fb"]; // the sliders, in the order shown
// group key -> {main, mainCross, lengths, data, cross (what is shown), at: {T, rho, fb}, committed, views}
const groups = new Map();
const views = new WeakMap(); // parentElement -> the mounted part

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const root = parentElement.querySelector(".lv-gl");
  if (!root || !data) return undefined;
  let group = groups.get(data.group);
  if (!group) {
    group = { data: null, at: null, views: new Set(), timer: 0, committed: null, lastUrlAt: 0 };
    groups.set(data.group, group);
  }
  let view = views.get(parentElement);
  if (!view || view.part !== data.part) {
    view = { root, part: data.part, built: null };
    views.set(parentElement, view);
  }
  group.views.add(view);
  if (data.cross) setCross(group, data.cross);
  if (data.part === "rnn") setLengths(group, data);
  if (data.part === "top") {
    group.pathname = window.location.pathname;
    if (!group.urlTimer) {
      // also puts ?rho= and ?fb= back after a rerun in which Python rewrote the address
      group.urlTimer = setInterval(() => writeAddress(group), URL_EVERY_MS);
    }
    if (data.version !== VERSION) {
      root.textContent = `This view reads payload version ${VERSION}, not ${data.version}.`;
      return () => detach(group, view, parentElement);
    }
    group.setStateValue = setStateValue;
    if (group.main?.fingerprint !== data.fingerprint) load(group, data);
  }
  renderAll(group);
  return () => detach(group, view, parentElement);
}

function detach(group, view, parentElement) {
  group.views.delete(view);
  views.delete(parentElement);
  if (view.part === "top") {
    clearInterval(group.urlTimer);
    group.urlTimer = 0;
  }
}

function load(group, data) {
  group.main = data;
  for (const view of group.views) view.built = null; // a new view of the data: update every part
  if (group.mainCross) setCross(group, group.mainCross);
  followLength(group);
}

function setCross(group, cross) {
  // the committed values and the sentences on the cross through them (carried by the "lstm" part)
  group.mainCross = cross;
  const d = group.main;
  if (!d || cross.view !== d.fingerprint) return; // for another view: its own view data is on its way
  group.committed = { rho: d.rho.values[cross.index.rho], fb: d.fb.values[cross.index.fb], T: d.T };
  if (!group.at) group.at = { ...group.committed }; // first shown: where Python put the sliders
}

function setLengths(group, data) {
  // the length slider and the views of the lengths next to the committed one (carried by the "rnn" part),
  // and a request to send the rest of a first, small payload
  const lengths = data.lengths ?? null;
  if (signature(lengths) !== signature(group.lengths)) {
    for (const view of group.views) view.built = null;
  }
  group.lengths = lengths;
  followLength(group);
  group.expand = data.expand ?? null;
  group.moreValues = Boolean(data.more_values); // the first payload holds a few ρ and bias values only
  armExpand(group);
}

function signature(lengths) {
  // what a rebuild depends on (the "rnn" part is sent again at every run; the entries follow from these)
  if (!lengths) return "";
  return [lengths.view, lengths.rho, lengths.fb, lengths.low, lengths.high, ...lengths.values].join();
}

function armExpand(group) {
  // a first view holds a few slider values and lengths: ask for the rest (one script run of a second or
  // two) once the sliders have been left alone for a moment, so that a drag is not held up by it
  clearTimeout(group.expandTimer);
  const want = group.expand;
  if (!want || group.asked === want) return;
  group.expandTimer = setTimeout(() => {
    group.asked = want;
    group.setStateValue?.("full", want);
  }, EXPAND_AFTER_MS);
}

function followLength(group) {
  // the length shown follows the committed view's unless the browser's own move is on its way: moved and
  // not yet sent, or sent (commit number n) and not yet answered by Python
  const { main, at, lengths } = group;
  if (!main || !at || group.tMoved) return;
  if (group.sentN != null && lengths?.n !== group.sentN) return;
  group.sentN = null;
  at.T = main.T;
}

// ------------------------------------------------------------------------------------------ state

function indexOf(grid, value) {
  let best = -1;
  let gap = Infinity;
  grid.values.forEach((v, k) => {
    const d = Math.abs(v - value);
    if (d < gap - 1e-9) {
      gap = d;
      best = k;
    }
  });
  return gap <= grid.step / 2 + 1e-9 ? best : -1; // -1: outside this view's window
}

function select(group) {
  // what is shown: the committed view, or another length's view at the committed ρ and bias; a length the
  // browser holds no view of (or one at other values) is "outside": the last lines stay, Python is asked
  const { main, lengths, at } = group;
  let data = main;
  let cross = group.mainCross;
  group.outside = false;
  if (lengths && lengths.view === main.fingerprint && at.T !== main.T) {
    const k = lengths.values.indexOf(at.T);
    const same = (name) => main[name].trained || Math.abs(at[name] - lengths[name]) < 1e-9;
    if (k >= 0 && same("rho") && same("fb")) {
      ({ view: data, cross } = lengths.entries[k]);
    } else {
      group.outside = true;
    }
  } else if (lengths && at.T !== main.T) {
    group.outside = true; // the lengths of another view: this one's are on their way
  }
  if (group.data !== data) {
    group.data = data;
    for (const view of group.views) view.built = null;
  }
  group.cross = cross;
}

function current(group) {
  const d = group.data;
  const at = group.at;
  if (group.outside) return { i: -1, j: -1, rho: null, fb: null, joint: undefined };
  const i = d.rho.trained ? 0 : indexOf(d.rho, at.rho);
  const j = d.fb.trained ? 0 : indexOf(d.fb, at.fb);
  const cross = group.cross?.view === d.fingerprint ? group.cross : null;
  const joint = i >= 0 && j >= 0 && cross ? cross.joint[`${i},${j}`] : undefined;
  return { i, j, rho: i >= 0 ? d.per_rho[i] : null, fb: j >= 0 ? d.per_fb[j] : null, joint };
}

function move(group, name, value) {
  group.at = { ...group.at, [name]: value };
  if (name === "T") group.tMoved = true;
  if (performance.now() - group.lastUrlAt >= URL_EVERY_MS) writeAddress(group); // else the timer does
  renderAll(group);
  clearTimeout(group.timer);
  armExpand(group); // not during a drag
  const { i, j, joint } = current(group);
  const missing = i < 0 || j < 0 || !joint; // outside the window or off the cross: ask Python at once
  group.timer = setTimeout(() => commit(group), missing ? 60 : SETTLE_MS);
}

function commit(group) {
  const { committed: c, at, lengths } = group;
  if (!group.setStateValue) return;
  group.tMoved = false;
  if (c && c.rho === at.rho && c.fb === at.fb && (!lengths || c.T === at.T)) return;
  const value = { rho: at.rho, fb: at.fb };
  if (lengths) {
    value.T = at.T;
    value.n = Date.now(); // Python applies a commit's length once, and says which it applied last
    group.sentN = value.n;
  }
  group.setStateValue("at", value);
}

function writeAddress(group) {
  // only on the page this view lives on: Streamlit may have moved to another page before unmounting it
  if (!group.main || !group.at || window.location.pathname !== group.pathname) return;
  const url = new URL(window.location.href);
  let changed = false;
  for (const name of NAMES) {
    const grid = gridOf(group, name);
    if (!grid || grid.trained) continue;
    // Python writes the committed length itself (and drops it for typed numbers): only a move not yet
    // committed is the browser's to write
    if (name === "T" && group.at.T === group.main.T) continue;
    const value = shown(grid, group.at[name]);
    if (url.searchParams.get(name) === value) continue;
    url.searchParams.set(name, value);
    changed = true;
  }
  if (!changed) return;
  window.history.replaceState(window.history.state, "", url);
  group.lastUrlAt = performance.now();
}

function gridOf(group, name) {
  // a slider's range and labels: the length's from the lengths data (none where the length is fixed)
  return name === "T" ? group.lengths : group.main[name];
}

function decimals(grid) {
  const text = String(grid.step);
  return text.includes(".") ? text.split(".")[1].length : 0;
}

function shown(grid, value) {
  return Number(value).toFixed(decimals(grid));
}

// ------------------------------------------------------------------------------------------ drawing

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

const RUN_TAGS = { b: "b", i: "i", m: "span", msub: "sub", msup: "sup" };

function runs(parts) {
  // a sentence as runs [kind, text]: text nodes and elements, never parsed as HTML
  return parts.map(([kind, text]) => {
    if (kind === "t") return document.createTextNode(text);
    const node = el(RUN_TAGS[kind] ?? "span", kind.startsWith("m") ? "lv-gl-math" : "", text);
    return node;
  });
}

function paragraph(parts, className = "") {
  const p = el("p", className);
  p.append(...runs(parts));
  return p;
}

function svgOf(source) {
  const doc = new DOMParser().parseFromString(source, "image/svg+xml");
  return document.importNode(doc.documentElement, true);
}

function renderAll(group) {
  if (!group.main || !group.at) return;
  select(group);
  for (const view of group.views) render(group, view);
}

function render(group, view) {
  if (view.built !== group.data) build(group, view);
  const now = current(group);
  ({ top: renderTop, rnn: renderRnn, lstm: renderLstm, forget: renderForget, inputs: renderInputs })[
    view.part
  ]?.(group, view, now);
}

function build(group, view) {
  // the DOM of a part is made once; a new payload only updates it, so a focused slider keeps its focus
  const d = group.data;
  view.built = d;
  view.root.dataset.part = view.part;
  if (view.part === "top") {
    if (!view.controls) {
      const controls = el("div", "lv-gl-controls");
      view.controls = {};
      for (const name of NAMES) {
        const box = el("div", "lv-gl-control");
        box.dataset.name = name;
        const head = el("div", "lv-gl-head");
        const label = el("label", "lv-gl-label");
        const value = el("output", "lv-gl-value");
        head.append(label, value);
        const slider = el("input", "lv-gl-slider");
        slider.type = "range";
        slider.id = `lv-gl-${name}`;
        label.htmlFor = slider.id;
        slider.addEventListener("input", () => move(group, name, Number(slider.value)));
        const caption = el("div", "lv-gl-caption");
        box.append(head, slider, caption);
        controls.append(box);
        view.controls[name] = { box, slider, value, caption, label };
      }
      view.pending = el("p", "lv-gl-pending");
      view.chart = el("div", "lv-gl-chart");
      view.caption = el("div", "lv-gl-caption lv-gl-under");
      view.metrics = el("div", "lv-gl-metrics");
      view.root.replaceChildren(controls, view.pending, view.chart, view.caption, view.metrics);
    }
    for (const name of NAMES) {
      const c = view.controls[name];
      const grid = gridOf(group, name);
      c.box.hidden = !grid;
      c.grid = grid;
      if (!grid) continue;
      c.label.textContent = grid.label;
      c.label.title = grid.help;
      c.slider.min = String(grid.low);
      c.slider.max = String(grid.high);
      c.slider.step = String(grid.step);
      c.slider.setAttribute("aria-label", grid.label);
      c.slider.hidden = grid.trained;
    }
    setChart(view, d.chart.svg);
    bindHover(group, view, "chart");
  } else if (view.part === "forget") {
    if (!view.chart) {
      view.chart = el("div", "lv-gl-chart");
      view.caption = el("div", "lv-gl-caption lv-gl-under");
      view.root.replaceChildren(view.chart, view.caption);
    }
    setChart(view, d.forget.svg);
    bindHover(group, view, "forget");
  } else if (!view.body) {
    view.body = el("div", "lv-gl-text");
    view.root.replaceChildren(view.body);
  }
}

function setChart(view, source) {
  if (view.svgSource === source) return;
  view.svgSource = source;
  view.chart.replaceChildren(svgOf(source), ...(view.tip ? [view.tip] : []));
  view.paths = {};
  for (const path of view.chart.querySelectorAll("path[data-path]")) view.paths[path.dataset.path] = path;
  view.guide = view.chart.querySelector("line[data-guide]");
  if (view.tip) view.tip.hidden = true;
}

// ------------------------------------------------------------------------------------------ the pointer

function bindHover(group, view, chart) {
  // the pointer's readout: the step under it and each drawn line's value there (strings Python made)
  if (view.tip) return;
  view.tip = el("div", "lv-gl-tip");
  view.tip.hidden = true;
  view.tip.setAttribute("role", "status");
  view.chart.append(view.tip);
  view.chart.addEventListener("pointermove", (event) => hover(group, view, chart, event));
  view.chart.addEventListener("pointerleave", () => unhover(view));
}

function unhover(view) {
  view.tip.hidden = true;
  view.guide?.setAttribute("visibility", "hidden");
}

function hover(group, view, chart, event) {
  const d = group.data;
  const svg = view.chart.querySelector("svg");
  if (!d || !svg || !d.hover) return;
  const frame = d[chart].frame;
  const box = svg.getBoundingClientRect();
  const x = ((event.clientX - box.left) * frame.width) / box.width;
  const t = Math.round(((x - frame.left) / frame.plot_width) * (frame.T - 1));
  if (t < 0 || t > frame.T - 1) return unhover(view);
  const steps = d.hover.steps;
  let k = 0;
  steps.forEach((s, i) => {
    if (Math.abs(s - t) < Math.abs(steps[k] - t)) k = i;
  });
  const now = current(group);
  const texts = { ...(now.rho?.hover ?? {}), ...(now.fb?.hover ?? {}) };
  const keys = Object.keys(view.paths).filter((key) => texts[key]);
  if (!keys.length) return unhover(view);
  view.tip.replaceChildren(
    el("div", "lv-gl-tip-head", `t = ${steps[k]}`),
    ...keys.map((key) => el("div", "", `${d.hover.names[key]}: ${texts[key][k]}`)),
  );
  const gx = frame.left + (frame.plot_width * steps[k]) / Math.max(frame.T - 1, 1);
  view.guide?.setAttribute("x1", String(gx));
  view.guide?.setAttribute("x2", String(gx));
  view.guide?.setAttribute("visibility", "visible");
  const px = (gx * box.width) / frame.width; // the guide's place in the chart's box, in CSS pixels
  const right = px > box.width / 2; // the readout sits on the side with more room
  view.tip.style.left = right ? "" : `${px + 10}px`;
  view.tip.style.right = right ? `${box.width - px + 10}px` : "";
  view.tip.hidden = false;
}

function setPaths(view, paths) {
  for (const [key, node] of Object.entries(view.paths)) {
    if (paths && key in paths) node.setAttribute("d", paths[key]);
  }
}

function metric(m, stale) {
  const box = el("div", "lv-gl-metric");
  if (!m) {
    box.append(el("p", "lv-gl-metric-label", "…"), el("p", "lv-gl-metric-value", "…"));
    return box;
  }
  const label = el("p", "lv-gl-metric-label", m.label);
  label.title = m.help;
  box.title = m.help;
  box.append(label, el("p", "lv-gl-metric-value", m.value));
  if (m.delta) box.append(el("p", "lv-gl-metric-delta", m.delta));
  if (stale) box.classList.add("lv-gl-stale");
  return box;
}

function renderTop(group, view, now) {
  const d = group.data;
  for (const name of NAMES) {
    const c = view.controls[name];
    if (!c.grid) continue;
    const value = group.at[name];
    if (!c.grid.trained && Number(c.slider.value) !== value) c.slider.value = String(value);
    c.value.textContent = c.grid.trained ? "trained" : shown(c.grid, value);
  }
  const rhoCaption = view.controls.rho.caption;
  rhoCaption.replaceChildren(...(now.rho ? [paragraph(now.rho.sigma)] : []));
  view.controls.fb.caption.replaceChildren(...(d.fb.note.length ? [paragraph(d.fb.note)] : []));
  const outside = now.i < 0 || now.j < 0;
  const more = group.moreValues && !outside && now.joint;
  const waiting = outside || !now.joint || more;
  // the line keeps its room when there is nothing to say, so the chart below does not jump
  view.pending.classList.toggle("lv-gl-quiet", !waiting);
  view.pending.textContent = !waiting
    ? "\u00a0"
    : outside
      ? "Computing this setting (it lies outside the values sent to the browser)…"
      : !now.joint
        ? "Updating the sentences that compare both models…"
        : "The sliders answer at once next to these values; the rest follow in a moment…";
  view.root.classList.toggle("lv-gl-outside", outside);
  if (now.rho) setPaths(view, now.rho.paths);
  if (now.fb) setPaths(view, now.fb.paths);
  const under = [];
  if (now.fb) under.push(paragraph(now.fb.caption));
  for (const note of [...(now.rho?.clip ?? []), ...(now.fb?.clip ?? [])]) under.push(paragraph(note));
  view.caption.replaceChildren(...under);
  view.metrics.replaceChildren(
    metric(now.rho?.metrics.rnn),
    metric(now.fb?.metrics.lstm),
    metric(now.joint?.compare),
    metric(now.rho?.metrics.step),
  );
  view.root.dataset.rho = shown(d.rho, group.at.rho);
  view.root.dataset.fb = shown(d.fb, group.at.fb);
  view.root.dataset.length = String(group.at.T ?? d.T);
  view.root.dataset.shownLength = String(d.T); // the length whose lines are drawn
  view.root.dataset.partial = group.expand ? "1" : ""; // a first, small payload: the rest is on its way
}

function texts(view, list, stale) {
  view.body.replaceChildren(...(list ?? []).map((p) => paragraph(p)));
  view.root.classList.toggle("lv-gl-stale", Boolean(stale));
}

function renderRnn(group, view, now) {
  texts(view, now.rho?.readings, !now.rho);
}

function renderLstm(group, view, now) {
  texts(view, now.joint?.lstm_readings ?? view.lastLstm, !now.joint);
  if (now.joint) view.lastLstm = now.joint.lstm_readings;
}

function renderInputs(group, view, now) {
  texts(view, now.joint?.inputs ?? view.lastInputs, !now.joint);
  if (now.joint) view.lastInputs = now.joint.inputs;
}

function renderForget(group, view, now) {
  if (!now.fb) {
    view.root.classList.add("lv-gl-stale");
    return;
  }
  view.root.classList.remove("lv-gl-stale");
  setPaths(view, now.fb.paths);
  view.caption.replaceChildren(paragraph(now.fb.forget_caption), ...now.fb.forget_clip.map((n) => paragraph(n)));
}
