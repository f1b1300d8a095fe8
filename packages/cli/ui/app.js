// flow ui's page: plain DOM, no framework, nothing fetched from elsewhere.
// The server (packages/cli/src/ui/) answers JSON and SVG; every request
// carries the HttpOnly cookie the first load set. Text from the project is
// only ever put in the page as text (textContent), never as HTML.

const $ = (sel) => document.querySelector(sel);
const state = { view: "graph", tag: "", run: "", expand: new Set(), plan: null, selected: null, runs: [], shownRun: null };

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

/** replaceChildren, leaving out the parts that are null (absent). */
function put(box, ...children) {
  box.replaceChildren(...children.filter((c) => c !== null && c !== undefined));
}

async function get(url, as = "json") {
  const r = await fetch(url, { credentials: "same-origin" });
  if (as === "json") return { status: r.status, body: await r.json() };
  if (as === "text") return { status: r.status, body: await r.text(), headers: r.headers };
  return { status: r.status, body: new Uint8Array(await r.arrayBuffer()), headers: r.headers };
}

function size(n) {
  if (n === null || n === undefined) return "not on disk";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function showError(text) {
  const e = $("#error");
  e.hidden = text === null;
  e.textContent = text ?? "";
}

// ---- plan and graph ----

async function loadPlan() {
  const q = state.tag ? `?tag=${encodeURIComponent(state.tag)}` : "";
  const { body } = await get(`/api/plan${q}`);
  if (!body.ok) {
    showError(body.error);
    state.plan = null;
    $("#graph").replaceChildren();
    $("#counts").textContent = "";
    return;
  }
  showError(body.pendingIncludes ? `generated include ${body.pendingIncludes.join(", ")} is not up to date: only the tasks that make it are known until a build makes it` : null);
  state.plan = body.plan;
  fillTags(body.tags);
  const c = body.plan.counts;
  $("#counts").textContent = `${body.plan.tasks.length} tasks: ${c.stale} stale, ${c.waiting} waiting, ${c.cached} cached, ${c.fresh} fresh`;
  renderProducts();
  if (state.selected !== null) {
    const t = taskNamed(state.selected);
    if (t) showTask(t, false);
  }
}

function fillTags(tags) {
  const sel = $("#tag");
  const have = [...sel.options].map((o) => o.value).filter((v) => v !== "");
  if (have.join("\n") === tags.join("\n")) return;
  sel.replaceChildren(el("option", { value: "" }, "all tasks"), ...tags.map((t) => el("option", { value: t }, t)));
  sel.value = state.tag;
}

async function loadGraph() {
  const params = new URLSearchParams();
  if (state.tag) params.set("tag", state.tag);
  if (state.run) params.set("run", state.run);
  if (state.expand.size > 0) params.set("expand", [...state.expand].join(","));
  const { status, body } = await get(`/api/graph.svg?${params}`, "text");
  const box = $("#graph");
  if (status !== 200) {
    put(box, );
    return;
  }
  const doc = new DOMParser().parseFromString(body, "image/svg+xml");
  const svg = doc.documentElement;
  for (const s of svg.querySelectorAll("script")) s.remove();
  put(box, document.importNode(svg, true));
  for (const g of box.querySelectorAll("g.node")) {
    g.addEventListener("click", () => clickNode(g));
    if (state.selected !== null && g.dataset.node === `t:${state.selected}`) g.classList.add("selected");
  }
}

function clickNode(g) {
  const id = g.dataset.node;
  if (g.dataset.group === "1" || !id.startsWith("t:")) {
    state.expand.add(id);
    loadGraph();
    return;
  }
  const t = taskNamed(id.slice(2));
  if (t) showTask(t, true);
}

function taskNamed(name) {
  return state.plan?.tasks.find((t) => t.name === name);
}

// ---- the side panel: one task ----

function showTask(t, fresh) {
  state.selected = t.name;
  for (const g of document.querySelectorAll("#graph g.node")) g.classList.toggle("selected", g.dataset.node === `t:${t.name}`);
  const p = $("#panel");
  p.hidden = false;
  const logBox = el("div", { id: "log" }, el("button", { onclick: () => loadLog(t.name, logBox) }, "Show log"));
  const outputs = el("ul", { class: "files", id: "outputs" });
  for (const f of t.files) {
    const prev = el("div", { class: "preview" });
    const versions = el("div", { class: "versions" });
    outputs.append(
      el("li", { "data-path": f.path },
        el("span", {}, f.isDir ? `${f.path}/` : f.path),
        el("span", { class: "meta" }, size(f.size)),
        " ",
        f.isDir || f.size === null ? null : el("button", { class: "preview-btn", onclick: () => preview(f.path, prev) }, "Preview"),
        " ",
        f.isDir ? null : el("button", { class: "versions-btn", onclick: () => loadVersions(f.path, versions) }, "Versions"),
        prev,
        versions),
    );
  }
  const inputs = el("ul", { class: "files" }, ...t.inputs.map((i) => {
    const prev = el("div", { class: "preview" });
    return el("li", {}, el("span", {}, i), " ", el("button", { onclick: () => preview(i, prev) }, "Preview"), prev);
  }));
  p.replaceChildren(...[
    el("button", { class: "close", onclick: () => { p.hidden = true; state.selected = null; } }, "×"),
    el("h2", {}, t.name),
    el("div", {}, el("span", { class: `state state-${t.state}`, id: "task-state" }, t.state), " ", el("span", { class: "note" }, t.reason ? t.reason.text : "nothing to do")),
    el("h3", {}, "key"), el("div", { class: "key" }, t.key ?? "(none: not decided yet)"),
    t.tags.length ? el("h3", {}, "tags") : null, t.tags.length ? el("div", {}, t.tags.join(", ")) : null,
    el("h3", {}, "recipe"), el("pre", {}, t.recipe || "(no recipe)"),
    el("h3", {}, "inputs"), t.inputs.length ? inputs : el("div", { class: "note" }, "no source files"),
    el("h3", {}, "outputs"), t.files.length ? outputs : el("div", { class: "note" }, "no declared outputs"),
    t.files.length ? el("button", { class: "danger", onclick: () => askClean({ task: t.name }, `Delete the outputs of ${t.name}`) }, "Delete these outputs…") : null,
    el("h3", {}, "log"), logBox,
  ].filter((c) => c !== null));
  if (fresh) p.scrollTop = 0;
}

async function loadLog(name, box) {
  const { status, body, headers } = await get(`/api/log/${encodeURIComponent(name)}`, "text");
  const from = headers.get("X-Flow-Log-From");
  const pre = el("pre", { class: status === 200 ? "log" : "log missing" }, body);
  if (status === 200) put(box, el("div", { class: "note" }, decodeURIComponent(from ?? "")), pre);
  else put(box, pre);
}

async function preview(path, box) {
  const url = `/api/file?path=${encodeURIComponent(path)}`;
  const { status, body, headers } = await get(url, "bytes");
  if (status !== 200) {
    put(box, el("div", { class: "note" }, new TextDecoder().decode(body)));
    return;
  }
  const type = headers.get("Content-Type") ?? "";
  const note = headers.get("X-Flow-Truncated") === "1" ? el("div", { class: "note" }, `first ${size(body.length)} of ${size(Number(headers.get("X-Flow-Size")))}`) : null;
  if (type.startsWith("image/")) {
    const img = el("img", { alt: path });
    img.src = URL.createObjectURL(new Blob([body], { type: type.split(";")[0] }));
    put(box, img, note);
    return;
  }
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    put(box, el("div", { class: "note" }, `binary, ${size(body.length)}: no preview`));
    return;
  }
  if (type.startsWith("text/csv") || type.startsWith("text/tab-separated-values")) put(box, csvTable(text, type.startsWith("text/csv") ? "," : "\t"), note);
  else if (type.startsWith("application/json")) {
    let shown = text;
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch { /* not valid JSON: show it as it is */ }
    put(box, el("pre", { class: "json" }, shown), note);
  } else put(box, el("pre", {}, text.slice(0, 64 * 1024)), note);
}

/** The first rows of a CSV as a table (quoted fields with commas and doubled quotes handled). */
function csvTable(text, sep, maxRows = 21) {
  const rows = [];
  let row = [], field = "", quoted = false, i = 0;
  for (; i < text.length && rows.length <= maxRows; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) { row.push(field); field = ""; }
    else if (ch === "\n") { row.push(field.replace(/\r$/, "")); rows.push(row); row = []; field = ""; }
    else field += ch;
  }
  if ((field !== "" || row.length > 0) && rows.length <= maxRows) { row.push(field); rows.push(row); }
  const [head, ...body] = rows;
  const table = el("table", { class: "grid csv" },
    el("thead", {}, el("tr", {}, ...(head ?? []).map((h) => el("th", {}, h)))),
    el("tbody", {}, ...body.slice(0, maxRows - 1).map((r) => el("tr", {}, ...r.map((c) => el("td", {}, c))))));
  const more = i < text.length ? el("div", { class: "note" }, `first ${maxRows - 1} rows`) : null;
  return el("div", {}, table, more);
}

async function loadVersions(path, box) {
  const { status, body } = await get(`/api/versions?path=${encodeURIComponent(path)}`);
  if (status !== 200) {
    put(box, el("div", { class: "note" }, body.error ?? "no versions"));
    return;
  }
  if (body.versions.length === 0) {
    put(box, el("div", { class: "note" }, "the cache holds no version of it"));
    return;
  }
  const table = el("table", { class: "grid versions" }, el("thead", {}, el("tr", {}, el("th", {}, "made"), el("th", {}, "run"), el("th", {}, "size"), el("th", {}, "key"), el("th", {}, ""))));
  const tbody = el("tbody");
  const prev = el("div", { class: "preview" });
  for (const v of body.versions) {
    tbody.append(el("tr", {},
      el("td", {}, new Date(v.time).toLocaleString()),
      el("td", {}, v.run ?? "?"),
      el("td", { class: "num" }, size(v.size)),
      el("td", { class: "key" }, v.key.slice(0, 16)),
      el("td", {}, v.current ? "on disk" : el("button", { onclick: () => previewVersion(path, v.hash, prev) }, "Preview"))));
  }
  table.append(tbody);
  put(box, table, prev);
}

async function previewVersion(path, hash, box) {
  const { status, body } = await get(`/api/version?path=${encodeURIComponent(path)}&hash=${encodeURIComponent(hash)}`, "text");
  put(box, status === 200 ? el("pre", {}, body.slice(0, 64 * 1024)) : el("div", { class: "note" }, body));
}

// ---- products ----

function renderProducts() {
  const tbody = $("#products tbody");
  tbody.replaceChildren();
  for (const t of state.plan?.tasks ?? []) {
    for (const f of t.files) {
      tbody.append(el("tr", { "data-path": f.path, onclick: () => showTask(t, true) },
        el("td", {}, f.isDir ? `${f.path}/` : f.path),
        el("td", {}, t.name),
        el("td", {}, el("span", { class: `state state-${t.state}` }, t.state)),
        el("td", { class: "num" }, size(f.size)),
        el("td", { class: "key" }, t.key ? t.key.slice(0, 16) : "")));
    }
  }
}

// ---- runs ----

async function loadRuns() {
  const { body } = await get("/api/runs");
  state.runs = body.runs;
  const colour = $("#colour");
  colour.replaceChildren(el("option", { value: "" }, "plan"), ...body.runs.map((r) => el("option", { value: String(r.run) }, `run ${r.run}`)));
  colour.value = state.runs.some((r) => String(r.run) === state.run) ? state.run : "";
  const tbody = $("#runs tbody");
  tbody.replaceChildren(...body.runs.map((r) => el("tr", { "data-run": r.run, onclick: () => showRun(r.run) },
    el("td", { class: "num" }, r.run),
    el("td", {}, new Date(r.start).toLocaleString()),
    el("td", {}, r.outcome),
    el("td", { class: "num" }, r.tasks),
    el("td", { class: "num" }, r.counts.ran ?? 0),
    el("td", { class: "num" }, r.counts.restored ?? 0),
    el("td", { class: "num" }, r.counts.failed ?? 0),
    el("td", { class: "num" }, `${((r.end - r.start) / 1000).toFixed(2)} s`),
    el("td", {}, `flow ${r.args.join(" ")}`))));
  if (state.shownRun !== null) showRun(state.shownRun);
}

async function showRun(n) {
  state.shownRun = n;
  const box = $("#run");
  const [{ status, body }, svg] = await Promise.all([get(`/api/runs/${n}`), get(`/api/runs/${n}/timeline.svg`, "text")]);
  if (status !== 200) {
    put(box, el("div", { class: "note" }, body.error));
    return;
  }
  const timeline = el("div", { class: "timeline" });
  if (svg.status === 200) {
    const doc = new DOMParser().parseFromString(svg.body, "image/svg+xml");
    timeline.append(document.importNode(doc.documentElement, true));
  } else timeline.append(el("div", { class: "note" }, svg.body));
  const table = el("table", { class: "grid" }, el("thead", {}, el("tr", {}, ...["task", "status", "time", "cache", "key"].map((h) => el("th", {}, h)))),
    el("tbody", {}, ...body.tasks.map((t) => el("tr", { onclick: () => { const p = taskNamed(t.name); if (p) showTask(p, true); } },
      el("td", {}, t.name), el("td", {}, el("span", { class: `state state-${t.status}` }, t.status)), el("td", { class: "num" }, `${(t.durationMs / 1000).toFixed(2)} s`), el("td", {}, t.cache), el("td", { class: "key" }, t.key ? t.key.slice(0, 16) : "")))));
  put(box, el("h2", {}, `run ${n}: flow ${body.summary.args.join(" ")}`), timeline, table);
}

// ---- delete ----

async function post(body) {
  const r = await fetch("/api/clean", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

async function askClean(what, title) {
  const { status, body } = await post(what);
  const d = $("#confirm");
  $("#confirm-title").textContent = title;
  if (status !== 200) {
    $("#confirm-list").replaceChildren();
    $("#confirm-note").textContent = body.error;
    $("#confirm-yes").hidden = true;
  } else {
    $("#confirm-list").replaceChildren(...body.removed.map((r) => el("li", {}, r.kind === "dir" ? `${r.path}/` : r.path)));
    const kept = body.kept.length ? ` ${body.kept.length} path(s) are kept (flow clean's rules).` : "";
    $("#confirm-note").textContent = body.removed.length === 0 ? `Nothing to delete.${kept}` : `These ${body.removed.length} path(s) will be deleted.${kept}`;
    $("#confirm-yes").hidden = body.removed.length === 0;
  }
  d.hidden = false;
  $("#confirm-yes").onclick = async () => {
    const done = await post({ ...what, confirm: true });
    d.hidden = true;
    if (done.status !== 200) showError(done.body.error);
    await refresh();
  };
  $("#confirm-no").onclick = () => { d.hidden = true; };
}

// ---- wiring ----

// One refresh at a time: changes that arrive meanwhile make one more afterwards (a long build
// writing files all the time must not pile up plans on the server).
let refreshing = null;
let again = false;
async function refresh() {
  if (refreshing !== null) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      again = false;
      await Promise.all([loadPlan(), loadRuns()]);
      await loadGraph();
      document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed ?? 0) + 1);
    } while (again);
  })();
  try {
    await refreshing;
  } finally {
    refreshing = null;
  }
}

function setView(v) {
  state.view = v;
  for (const b of document.querySelectorAll(".tab")) b.setAttribute("aria-selected", String(b.dataset.view === v));
  for (const s of document.querySelectorAll(".view")) s.hidden = s.id !== `view-${v}`;
}

function listen() {
  const live = $("#live");
  const es = new EventSource("/api/events");
  let timer = null;
  es.addEventListener("hello", () => { live.textContent = "live"; live.className = "live on"; });
  es.addEventListener("change", (e) => {
    const { types } = JSON.parse(e.data);
    if (types.includes("build-start")) { live.textContent = "build running"; live.className = "live building"; }
    if (types.includes("build-end")) { live.textContent = "live"; live.className = "live on"; }
    clearTimeout(timer);
    timer = setTimeout(refresh, 100);
  });
  es.onerror = () => { live.textContent = "disconnected: is flow ui still running?"; live.className = "live"; };
}

for (const b of document.querySelectorAll(".tab")) b.addEventListener("click", () => setView(b.dataset.view));
$("#tag").addEventListener("change", (e) => {
  state.tag = e.target.value;
  state.expand.clear();
  const del = $("#delete-tag");
  del.hidden = state.tag === "";
  del.textContent = `Delete outputs of tag ${state.tag}`;
  refresh();
});
$("#delete-tag").addEventListener("click", () => askClean({ tag: state.tag }, `Delete the outputs of the tasks tagged ${state.tag}`));
$("#colour").addEventListener("change", (e) => { state.run = e.target.value; loadGraph(); });
listen();
refresh();
