// The coloured text (pages/common/memory_text.py mounts it; lstm_vault.memory_view.text_payload makes its data).
//
// Python sends every quantity of every unit once; switching the unit or the quantity recolours the text here,
// with no script run and no Streamlit state set. Components of one group share the unit and the quantity
// (window.__lvMemoryGroups). Every character and label from the data is written with textContent; no markup
// is ever parsed.

const VERSION = 1;
const groups = (window.__lvMemoryGroups ??= new Map()); // group -> {unit, quantity, views: Set}
const views = new WeakMap(); // parentElement -> the DOM of one mounted component
const SHOWN = { "\n": "↵", " ": "␣", "\t": "⇥" }; // how a blank character is named in the step line

export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector(".lv-memory");
  if (!root || !data) return undefined;
  let view = views.get(parentElement);
  if (!view) {
    view = mount(root);
    views.set(parentElement, view);
  }
  if (data.version !== VERSION) {
    view.note.textContent = `This view reads payload version ${VERSION}, not ${data.version}.`;
    return () => unmount(view, parentElement);
  }
  const group = groupOf(data.group, data);
  if (view.group !== group) {
    view.group?.views.delete(view);
    view.group = group;
    group.views.add(view);
  }
  if (view.data?.fingerprint !== data.fingerprint) {
    load(view, data);
    if (data.lead) {
      // a new text or model in the leading view: start from its own unit and quantity, everywhere
      Object.assign(group, { unit: data.unit, quantity: data.quantity });
      for (const other of group.views) if (other !== view) paint(other);
    }
  }
  paint(view);
  return () => unmount(view, parentElement);
}

function groupOf(name, data) {
  let group = groups.get(name);
  if (!group) {
    group = { unit: data.unit, quantity: data.quantity, views: new Set() };
    groups.set(name, group);
  }
  return group;
}

function part(root, name) {
  return root.querySelector(`.lv-mem-${name}`);
}

function mount(root) {
  const view = { root, t: null };
  for (const name of ["unit", "prev", "next", "quantity", "lo", "bar", "hi", "chips", "note", "step", "text",
    "caption"]) {
    view[name] = part(root, name);
  }
  view.unit.addEventListener("change", () => choose(view, { unit: Number(view.unit.value) }));
  view.quantity.addEventListener("change", () => choose(view, { quantity: view.quantity.value }));
  const shift = (by) => {
    const units = view.data.units;
    const k = units.indexOf(shownUnit(view));
    choose(view, { unit: units[Math.min(units.length - 1, Math.max(0, k + by))] });
  };
  view.prev.addEventListener("click", () => shift(-1));
  view.next.addEventListener("click", () => shift(1));
  view.chips.addEventListener("click", (event) => {
    const chip = event.target.closest("button[data-unit]");
    if (chip) choose(view, { unit: Number(chip.dataset.unit) });
  });
  view.text.addEventListener("mouseover", (event) => {
    const t = event.target.dataset?.t;
    if (t !== undefined) showStep(view, Number(t));
  });
  view.text.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const T = view.data.T;
    const t = view.t ?? -1;
    const to = { ArrowLeft: t - 1, ArrowRight: t + 1, Home: 0, End: T - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    showStep(view, Math.min(T - 1, Math.max(0, to)), true);
  });
  return view;
}

function unmount(view, parentElement) {
  view.group?.views.delete(view);
  views.delete(parentElement);
}

function f32(base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer); // little-endian, as the library writes it
}

function load(view, data) {
  view.data = data;
  view.values = f32(data.values); // (Q, T, U)
  view.chars = Array.from(data.text); // code points, as Python counts them
  if (view.chars.length !== data.T) {
    view.note.textContent = `The text has ${view.chars.length} characters, the values ${data.T} steps.`;
  } else {
    view.note.textContent = data.note ?? "";
  }
  view.caption.textContent = data.caption ?? "";
  const spans = document.createDocumentFragment();
  view.spans = view.chars.map((ch, t) => {
    const span = document.createElement("span");
    span.textContent = ch;
    span.dataset.t = String(t);
    if (ch === "\n") span.className = "lv-mem-nl";
    spans.append(span);
    return span;
  });
  view.text.replaceChildren(spans);
  view.levels = new Int16Array(view.spans.length).fill(-1); // the colour level each character shows
  view.styles = Array.from({ length: 64 }, (_, level) => {
    const [r, g, b] = colour(data.colorscale, level / 63);
    return [`rgb(${r}, ${g}, ${b})`, 0.299 * r + 0.587 * g + 0.114 * b > 140 ? "#111" : "#fff"];
  });
  const labels = new Map(data.suggested.map((s) => [s.unit, s.label]));
  view.unit.replaceChildren(...data.units.map((u) => option(String(u), labels.get(u) ?? `unit ${u}`)));
  view.quantity.replaceChildren(...data.quantities.map((q) => option(q, data.names[q] ?? q)));
  view.chips.replaceChildren(...data.suggested.map((s) => {
    const chip = document.createElement("button");
    chip.type = "button";
    chip.dataset.unit = String(s.unit);
    chip.textContent = s.label;
    return chip;
  }));
  view.bar.style.background = `linear-gradient(to right, ${data.colorscale
    .map(([pos, [r, g, b]]) => `rgb(${r}, ${g}, ${b}) ${100 * pos}%`).join(", ")})`;
  view.t = null;
  view.step.textContent = "Hover over a character, or click the text and use the arrow keys, to see every "
    + "gate of this unit at that step.";
}

function option(value, label) {
  const el = document.createElement("option");
  el.value = value;
  el.textContent = label;
  return el;
}

function choose(view, change) {
  const log = (window.__lvMemory ??= {});
  log.changeAt = performance.now();
  log.paintedAt = null;
  Object.assign(view.group, change);
  for (const other of view.group.views) paint(other);
  log.recolouredAt = performance.now(); // the script's own work done; the browser paints next
  requestAnimationFrame(() => requestAnimationFrame(() => { log.paintedAt = performance.now(); }));
}

function shownUnit(view) {
  const { units } = view.data;
  return units.includes(view.group.unit) ? view.group.unit : view.data.unit;
}

function shownQuantity(view) {
  const { quantities } = view.data;
  return quantities.includes(view.group.quantity) ? view.group.quantity : view.data.quantity;
}

function colour(stops, x) {
  let k = 1;
  while (k < stops.length - 1 && stops[k][0] < x) k += 1;
  const [p0, c0] = stops[k - 1];
  const [p1, c1] = stops[k];
  const w = p1 > p0 ? Math.min(1, Math.max(0, (x - p0) / (p1 - p0))) : 0;
  return [0, 1, 2].map((j) => Math.round(c0[j] + w * (c1[j] - c0[j])));
}

function number(v) {
  return (Math.abs(v) < 5e-4 ? 0 : v).toFixed(Math.abs(v) >= 100 ? 0 : 3).replace("-", "\u2212");
}

function paint(view) {
  const { data, values, spans } = view;
  if (!data || !spans) return;
  const unit = shownUnit(view);
  const quantity = shownQuantity(view);
  const u = data.units.indexOf(unit);
  const q = data.quantities.indexOf(quantity);
  const { T } = data;
  const U = data.units.length;
  const [lo, hi] = data.ranges[q][u];
  const span = hi - lo || 1;
  const { levels, styles } = view;
  // 64 colour levels, and only the characters whose level changed are written: a recolouring touches as
  // few elements as it can
  for (let t = 0; t < T && t < spans.length; t += 1) {
    const x = Math.min(1, Math.max(0, (values[(q * T + t) * U + u] - lo) / span));
    const level = Math.round(x * 63);
    if (levels[t] === level) continue;
    const [background, ink] = styles[level];
    const el = spans[t].style;
    el.backgroundColor = background;
    if (levels[t] < 0 || styles[levels[t]][1] !== ink) el.color = ink;
    levels[t] = level;
  }
  view.unit.value = String(unit);
  view.quantity.value = quantity;
  view.prev.disabled = u <= 0;
  view.next.disabled = u >= U - 1;
  view.lo.textContent = number(lo);
  view.hi.textContent = number(hi);
  for (const chip of view.chips.children) chip.setAttribute("aria-pressed", String(Number(chip.dataset.unit) === unit));
  view.root.dataset.unit = String(unit);
  view.root.dataset.quantity = quantity;
  if (view.t !== null) showStep(view, view.t);
}

function showStep(view, t, scroll = false) {
  const { data, values, spans } = view;
  if (view.t !== null && spans[view.t]) spans[view.t].classList.remove("lv-mem-at");
  view.t = t;
  spans[t].classList.add("lv-mem-at");
  if (scroll) spans[t].scrollIntoView({ block: "nearest" });
  const unit = shownUnit(view);
  const u = data.units.indexOf(unit);
  const { T } = data;
  const U = data.units.length;
  const ch = view.chars[t];
  const parts = data.quantities.map((q, k) => `${q} = ${number(values[(k * T + t) * U + u])}`);
  view.step.textContent = `t = ${t} · character ${SHOWN[ch] ?? ch} · unit ${unit}: ${parts.join(" · ")}`;
}
