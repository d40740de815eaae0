// The architectures page's stepper (pages/common/compare_stepper.py mounts it; lstm_vault.compare makes its
// data). Python sends every model's drawing once; a step here only swaps labels and fill bars, and sets no
// Streamlit state or trigger value, so stepping starts no script run. The step lives in `states` (by key)
// and is mirrored into the address (?t=N). Data is written with textContent / setAttribute; the only markup
// parsed is each panel's SVG template, drawn by the library with no data in it.

const VERSION = 1;
const states = new Map(); // key -> {t, fingerprint}
const views = new WeakMap(); // parentElement -> the mounted DOM

export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector(".lv-compare");
  if (!root || !data) return undefined;
  let view = views.get(parentElement);
  if (!view) {
    view = mount(root);
    views.set(parentElement, view);
  }
  if (data.version !== VERSION) {
    view.head.textContent = `This stepper reads payload version ${VERSION}, not ${data.version}.`;
    return () => views.delete(parentElement);
  }
  let state = states.get(data.key);
  if (!state) {
    state = { t: data.initial_t, fingerprint: null };
    states.set(data.key, state);
  }
  view.state = state;
  view.urlParam = data.url_param;
  if (view.data?.fingerprint !== data.fingerprint) load(view, data);
  state.t = clamp(state.t, data.T);
  state.fingerprint = data.fingerprint;
  render(view);
  return () => views.delete(parentElement);
}

function clamp(t, T) {
  return Math.min(T - 1, Math.max(0, Math.round(Number(t) || 0)));
}

function mount(root) {
  const view = { root, pathname: window.location.pathname };
  for (const name of ["prev", "slider", "next", "head", "panels"]) view[name] = root.querySelector(`.lv-${name}`);
  const step = (t) => setStep(view, t);
  view.prev.addEventListener("click", () => step(view.state.t - 1));
  view.next.addEventListener("click", () => step(view.state.t + 1));
  view.slider.addEventListener("input", () => step(Number(view.slider.value)));
  root.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const { t } = view.state;
    const to = { ArrowLeft: t - 1, ArrowDown: t - 1, ArrowRight: t + 1, ArrowUp: t + 1, Home: 0,
      End: view.data.T - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    step(to);
  });
  return view;
}

function load(view, data) {
  view.data = data;
  view.slider.max = String(Math.max(0, data.T - 1));
  view.slider.disabled = data.T < 2;
  view.panels.replaceChildren();
  view.slots = data.panels.map((panel) => {
    const box = document.createElement("div");
    box.className = "lv-panel";
    box.dataset.key = panel.key;
    const title = document.createElement("h4");
    title.textContent = panel.title;
    const note = document.createElement("p");
    note.className = "lv-note";
    const doc = new DOMParser().parseFromString(panel.svg, "image/svg+xml");
    const svg = document.importNode(doc.documentElement, true);
    box.append(title, note, svg);
    view.panels.append(box);
    return {
      note,
      texts: panel.text_keys.map((k) => svg.querySelector(`[data-text="${CSS.escape(k)}"]`)),
      fills: panel.fill_keys.map((k) => svg.querySelector(`[data-fill="${CSS.escape(k)}"]`)),
    };
  });
}

function render(view) {
  const { data, state } = view;
  const t = state.t;
  view.root.dataset.t = String(t);
  view.head.textContent = data.headers[t];
  data.panels.forEach((panel, p) => {
    const slot = view.slots[p];
    slot.note.textContent = panel.notes[t];
    panel.texts[t].forEach((label, k) => {
      if (slot.texts[k]) slot.texts[k].textContent = label;
    });
    const fills = panel.fills[t];
    slot.fills.forEach((rect, k) => {
      if (!rect) return;
      rect.setAttribute("y", fills[2 * k].toFixed(1));
      rect.setAttribute("height", fills[2 * k + 1].toFixed(1));
    });
  });
  view.slider.value = String(t);
  view.slider.setAttribute("aria-valuetext", data.headers[t]);
  view.prev.disabled = t <= 0;
  view.next.disabled = t >= data.T - 1;
  writeUrl(view);
}

function setStep(view, t) {
  const to = clamp(t, view.data.T);
  if (to === view.state.t) return;
  view.state.t = to;
  render(view);
}

function writeUrl(view) {
  if (window.location.pathname !== view.pathname) return;
  const url = new URL(window.location.href);
  const value = String(view.state.t);
  if (url.searchParams.get(view.urlParam) === value) return;
  url.searchParams.set(view.urlParam, value);
  window.history.replaceState(window.history.state, "", url);
}
