// ragkit's document Q&A page: collections, uploads with indexing progress, streamed
// answers with citations, and the cited page's text with the passage highlighted.
// Plain DOM code, no build step. Every text from the server (answers, documents, file
// names) goes in through textContent, never innerHTML, so documents cannot inject markup.
"use strict";

const $ = (id) => document.getElementById(id);
const ui = { collection: "", viewer: null, polling: null };

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child);
  return node;
}

function showError(message) {
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
}

function headers(extra = {}) {
  const key = sessionStorage.getItem("ragkit-key");
  return key ? { ...extra, Authorization: "Bearer " + key } : extra;
}

// fetch that turns a JSON error body into an Error carrying its message.
async function call(path, options = {}) {
  const response = await fetch(path, { ...options, headers: headers(options.headers || {}) });
  if (response.status === 401) $("key-form").hidden = false;
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) message = body.error.message;
    } catch (_) { /* not JSON: keep the status line */ }
    throw new Error(message);
  }
  return response;
}

async function json(path, options) {
  return (await call(path, options)).json();
}

// ---- collections --------------------------------------------------------------------
async function loadCollections(select) {
  const { collections } = await json("/api/collections");
  const box = $("collection-select");
  box.replaceChildren();
  for (const c of collections) {
    const label = c.read_only ? `${c.name} (read-only index)` : c.name;
    box.append(el("option", { value: c.id, textContent: label }));
  }
  if (select && collections.some((c) => c.id === select)) box.value = select;
  else if (collections.some((c) => c.id === ui.collection)) box.value = ui.collection;
  ui.collection = box.value;
  await loadDocuments();
}

async function createCollection(name) {
  const created = await json("/api/collections", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name }),
  });
  await loadCollections(created.id);
  return created.id;
}

async function loadDocuments() {
  const list = $("documents");
  // The id is what OpenAI clients pass as `model` to ask this collection.
  $("collection-id").textContent = ui.collection ? `model id for /v1: ${ui.collection}` : "";
  if (!ui.collection) {
    list.replaceChildren(el("li", { textContent: "No collection yet: upload files to start one." }));
    return;
  }
  const { documents, collection } = await json(`/api/collections/${encodeURIComponent(ui.collection)}/documents`);
  // Emptied only once the new list has arrived, so the list never shows blank meanwhile.
  list.replaceChildren();
  $("delete-collection").disabled = collection.read_only;
  for (const d of documents) {
    const meta = d.status === "indexed" ? `${d.chunks} passages` : `${d.status}: ${d.reason}`;
    const item = el("li", { dataset: { name: d.name } },
      el("span", {}, el("span", { className: "name", textContent: d.name }), " ",
        el("span", { className: "meta" + (d.status === "indexed" ? "" : " failed"), textContent: meta })));
    if (!collection.read_only) {
      const remove = el("button", { type: "button", className: "danger delete-doc", textContent: "Delete" });
      remove.addEventListener("click", () => deleteDocument(d.name).catch((e) => showError(e.message)));
      item.append(remove);
    }
    list.append(item);
  }
  if (!documents.length) list.append(el("li", { textContent: "No documents in this collection yet." }));
}

async function deleteDocument(name) {
  showError("");
  await call(`/api/collections/${encodeURIComponent(ui.collection)}/documents/${encodeURIComponent(name)}`, { method: "DELETE" });
  await loadDocuments();
}

// ---- uploads and indexing progress --------------------------------------------------
async function upload(files) {
  showError("");
  if (!files.length) throw new Error("choose one or more files first");
  if (!ui.collection) await createCollection(files[0].name.replace(/\.[^.]*$/, ""));
  const form = new FormData();
  for (const f of files) form.append("files", f, f.name);
  const { job } = await json(`/api/collections/${encodeURIComponent(ui.collection)}/documents`, { method: "POST", body: form });
  $("file-input").value = "";
  await followJob(job.id);
}

function describeJob(job) {
  const parts = [job.stage];
  parts.push(`files ${job.files_done}/${job.files_total}`);
  if (job.chunks_total) parts.push(`passages embedded ${job.chunks_done}/${job.chunks_total}`);
  if (job.state === "done") {
    const counts = {};
    for (const o of job.outcomes) counts[o.status] = (counts[o.status] || 0) + 1;
    const summary = Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(", ");
    const problems = job.outcomes.filter((o) => o.status === "failed" || o.status === "skipped")
      .map((o) => `${o.file}: ${o.reason}`);
    return [`Indexing finished: ${summary || "nothing to do"} in ${job.seconds} s`, ...problems].join("\n");
  }
  if (job.state === "failed") return `Indexing failed: ${job.message}`;
  return parts.join(" — ");
}

async function followJob(id) {
  $("job").hidden = false;
  const bar = $("job-progress");
  const status = $("job-status");
  status.dataset.state = "running";
  for (;;) {
    const job = await json(`/api/jobs/${encodeURIComponent(id)}`);
    const total = job.chunks_total || job.files_total || 1;
    const done = job.chunks_total ? job.chunks_done : job.files_done;
    bar.value = job.state === "done" ? 1 : Math.min(done / total, 1);
    status.textContent = describeJob(job);
    if (job.state === "done" || job.state === "failed") {
      status.dataset.state = job.state;
      await loadDocuments();
      return job;
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

// ---- questions ----------------------------------------------------------------------
async function* serverEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const raw = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      let data = "";
      for (const line of raw.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      yield { event, data: JSON.parse(data) };
    }
  }
}

function citeButton(number, sources) {
  const source = sources.find((s) => s.number === number);
  const link = el("button", { type: "button", className: "cite", textContent: `[${number}]` });
  if (source) link.addEventListener("click", () => openPage(source));
  return link;
}

// The answer with every [n] (or [n, m]) turned into a button that opens source n.
function renderAnswer(text, sources) {
  const box = $("answer");
  box.replaceChildren();
  const pattern = /\[(\d+(?:\s*,\s*\d+)*)\]/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    box.append(text.slice(last, match.index));
    match[1].split(",").map((n) => Number(n.trim())).forEach((n, i) => {
      if (i) box.append(" ");
      box.append(citeButton(n, sources));
    });
    last = match.index + match[0].length;
  }
  box.append(text.slice(last));
}

function renderSources(sources, cited) {
  const list = $("citations");
  list.replaceChildren();
  const citedNumbers = new Set(cited.map((c) => c.number));
  for (const s of sources) {
    const open = el("button", { type: "button", className: "citation", textContent: `[${s.number}] ${s.location}` });
    open.addEventListener("click", () => openPage(s));
    const item = el("li", { className: citedNumbers.has(s.number) ? "cited" : "", dataset: { number: String(s.number) } },
      open, el("span", { className: "snippet", textContent: s.snippet }));
    list.append(item);
  }
}

async function ask(question) {
  showError("");
  if (!ui.collection) throw new Error("create a collection and upload documents first");
  const answer = $("answer");
  answer.replaceChildren();
  answer.dataset.state = "streaming";
  $("citations").replaceChildren();
  $("ask-button").disabled = true;
  try {
    const response = await call(`/api/collections/${encodeURIComponent(ui.collection)}/ask`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question }),
    });
    let text = "";
    for await (const { event, data } of serverEvents(response)) {
      $("ask-status").textContent = event !== "waiting" ? ""
        : data.ahead > 0 ? `Waiting for the model: ${data.ahead} question${data.ahead === 1 ? "" : "s"} ahead…`
        : "Looking for sources…";
      if (event === "sources") renderSources(data.sources, []);
      else if (event === "text") { text += data.text; answer.textContent = text; }
      else if (event === "done") {
        renderAnswer(data.text, data.sources);
        renderSources(data.sources, data.citations);
        answer.dataset.state = "done";
      } else if (event === "error") throw new Error(data.message);
    }
  } finally {
    $("ask-status").textContent = "";
    if (answer.dataset.state !== "done") answer.dataset.state = "failed";
    $("ask-button").disabled = false;
  }
}

// ---- the cited page -----------------------------------------------------------------
async function openPage(source, page) {
  showError("");
  const query = page ? `?page=${page}` : "";
  const view = await json(`/api/collections/${encodeURIComponent(ui.collection)}/chunks/${source.chunk_id}/page${query}`);
  ui.viewer = { source, view };
  $("viewer").hidden = false;
  $("viewer-title").textContent = view.page ? `${view.file} — page ${view.page} of ${view.pages}` : view.file;
  $("viewer-note").textContent = view.exact ? "" : "The file changed or is gone; showing the indexed passage.";
  $("prev-page").disabled = !view.page || view.page <= 1;
  $("next-page").disabled = !view.page || view.page >= view.pages;
  const text = $("page-text");
  text.replaceChildren();
  let last = 0;
  for (const [start, end] of view.highlights) {
    text.append(view.text.slice(last, start), el("mark", { textContent: view.text.slice(start, end) }));
    last = end;
  }
  text.append(view.text.slice(last));
  const mark = text.querySelector("mark");
  if (mark) mark.scrollIntoView({ block: "center" });
}

// ---- wiring -------------------------------------------------------------------------
function guarded(fn) {
  return (event) => {
    if (event) event.preventDefault();
    fn().catch((e) => showError(e.message));
  };
}

document.addEventListener("DOMContentLoaded", () => {
  $("collection-select").addEventListener("change", guarded(async () => {
    ui.collection = $("collection-select").value;
    await loadDocuments();
  }));
  $("new-collection").addEventListener("submit", guarded(async () => {
    const name = $("new-collection-name").value.trim();
    if (!name) throw new Error("give the new collection a name");
    await createCollection(name);
    $("new-collection-name").value = "";
  }));
  $("delete-collection").addEventListener("click", guarded(async () => {
    if (!ui.collection) return;
    await call(`/api/collections/${encodeURIComponent(ui.collection)}`, { method: "DELETE" });
    ui.collection = "";
    await loadCollections();
  }));
  $("upload-form").addEventListener("submit", guarded(() => upload([...$("file-input").files])));
  $("ask-form").addEventListener("submit", guarded(() => ask($("question").value)));
  $("prev-page").addEventListener("click", guarded(() => openPage(ui.viewer.source, ui.viewer.view.page - 1)));
  $("next-page").addEventListener("click", guarded(() => openPage(ui.viewer.source, ui.viewer.view.page + 1)));
  $("key-form").addEventListener("submit", guarded(async () => {
    sessionStorage.setItem("ragkit-key", $("api-key").value);
    $("key-form").hidden = true;
    showError("");
    await loadCollections();
  }));
  guarded(() => loadCollections())();
});
