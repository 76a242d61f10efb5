// ragkit's document Q&A page: collections, uploads with indexing progress, a conversation
// per collection kept on the server, streamed answers rendered as safe Markdown with
// citation chips, and the cited page drawn as the PDF shows it with the supporting
// sentence lit. Plain DOM code, no build step, nothing loaded from elsewhere. Every text
// from the server goes in through textContent (markdown.js builds nodes, not HTML), so
// documents cannot inject markup. The collection and conversation live in the URL hash.
"use strict";

const $ = (id) => document.getElementById(id);
const ui = {
  collection: "",
  conversation: "",
  collections: [],
  documents: [],
  viewer: null,
  asking: null, // the AbortController of the question being answered
  indexing: false, // an upload is being sent or indexed: "no documents yet" would be wrong
};

const STAGES = {
  queued: "Sent. Waiting for the model…",
  searching: "Searching the documents…",
  "loading model": "Loading the model (first question only)…",
  writing: "Reading the sources and writing…",
  // Once text shows: the model writes on, and a sentence is shown only once checked, so an
  // answer that reads as finished may still grow (or stay as it is).
  checking: "Still writing: each sentence shows once the sources support it…",
};

// The answer so far, with a muted "…" at its end while it may still grow.
function renderGrowing(answer, text, sources) {
  RagkitMarkdown.render(answer, text, (n) => citeButton(n, sources));
  let host = answer;
  while (host.lastElementChild && /^(P|UL|OL|LI|BLOCKQUOTE)$/.test(host.lastElementChild.tagName)) host = host.lastElementChild;
  host.append(el("span", { className: "pending", textContent: " …", ariaHidden: "true" }));
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("aria")) node.setAttribute(key.replace(/^aria/, "aria-").toLowerCase(), value);
    else node[key] = value;
  }
  for (const child of children) node.append(child);
  return node;
}

function showError(message) {
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
  // The layout is as tall as the window under the header: it gives up the error line's
  // height (and its 12 px margin) while that shows.
  document.body.style.setProperty("--error-space", message ? `${box.offsetHeight + 12}px` : "0px");
}

function headers(extra = {}) {
  const key = sessionStorage.getItem("ragkit-key");
  return key ? { ...extra, Authorization: "Bearer " + key } : extra;
}

// fetch that turns a JSON error body into an Error carrying its message.
const UNREACHABLE = "the ragkit server cannot be reached; check that ragkit serve is still running, then try again";
const LOST = "the connection to the ragkit server was lost before the answer ended; check that ragkit serve is still running, then ask again";

async function call(path, options = {}) {
  let response;
  try {
    response = await fetch(path, { ...options, headers: headers(options.headers || {}) });
  } catch (e) {
    // The browser's own words ("Failed to fetch") say nothing a person can act on.
    if (e.name === "AbortError") throw e;
    throw new Error(UNREACHABLE);
  }
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

const api = (path) => `/api/collections/${encodeURIComponent(ui.collection)}${path}`;

// ---- the URL ------------------------------------------------------------------------
function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  return { collection: params.get("c") || "", conversation: params.get("t") || "" };
}

function writeHash() {
  const params = new URLSearchParams();
  if (ui.collection) params.set("c", ui.collection);
  if (ui.conversation) params.set("t", ui.conversation);
  const hash = params.toString();
  if (location.hash.slice(1) !== hash) history.replaceState(null, "", hash ? "#" + hash : location.pathname);
}

// ---- collections --------------------------------------------------------------------
async function loadCollections(select, conversation) {
  const { collections } = await json("/api/collections");
  ui.collections = collections;
  const box = $("collection-select");
  box.replaceChildren();
  for (const c of collections) {
    const label = c.read_only ? `${c.name} (read-only)` : c.name;
    box.append(el("option", { value: c.id, textContent: label, title: label }));
  }
  // A first visit: say there is none rather than show an empty, clickable list.
  if (!collections.length) box.append(el("option", { value: "", textContent: "No collections yet" }));
  box.disabled = !collections.length;
  if (select && collections.some((c) => c.id === select)) box.value = select;
  else if (collections.some((c) => c.id === ui.collection)) box.value = ui.collection;
  const changed = box.value !== ui.collection;
  ui.collection = box.value;
  if (changed || conversation !== undefined) ui.conversation = conversation || "";
  writeHash();
  await Promise.all([loadDocuments(), loadConversations()]);
  await showConversation();
}

async function createCollection(name) {
  const created = await json("/api/collections", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name }),
  });
  await loadCollections(created.id, "");
  return created.id;
}

function currentCollection() {
  return ui.collections.find((c) => c.id === ui.collection);
}

async function deleteCollection() {
  const coll = currentCollection();
  if (!coll) return;
  const files = ui.documents.length;
  const text = `“${coll.name}” and its ${files} file${files === 1 ? "" : "s"} will be deleted, ` +
    "with every conversation in it. This cannot be undone.";
  if (!(await confirmDialog(`Delete “${coll.name}”?`, text, "Delete collection"))) return;
  await call(`/api/collections/${encodeURIComponent(coll.id)}`, { method: "DELETE" });
  ui.collection = "";
  ui.conversation = "";
  closeViewer();
  await loadCollections();
}

// A modal question; resolves true when the person confirms. Esc or Cancel says no.
function confirmDialog(title, text, action) {
  const dialog = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = action;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
    $("confirm-cancel").focus();
  });
}

// ---- documents ----------------------------------------------------------------------
async function loadDocuments() {
  const list = $("documents");
  // The id is what OpenAI clients pass as `model` to ask this collection.
  $("collection-id").textContent = ui.collection ? `model id for /v1: ${ui.collection}` : "";
  $("delete-collection").disabled = !ui.collection;
  if (!ui.collection) {
    ui.documents = [];
    showReadOnly(null);
    document.body.classList.remove("has-docs");
    list.replaceChildren(el("li", { className: "empty", textContent: "No collection yet: drop files above to start one, or create an empty one." }));
    return;
  }
  const { documents, collection } = await json(api("/documents"));
  ui.documents = documents;
  // Emptied only once the new list has arrived, so the list never shows blank meanwhile.
  list.replaceChildren();
  showReadOnly(collection.read_only ? collection : null);
  for (const d of documents) list.append(documentItem(d, collection.read_only));
  document.body.classList.toggle("has-docs", documents.some((d) => d.status === "indexed"));
  if (!documents.length) list.append(el("li", { className: "empty", textContent: emptyList(collection.read_only) }));
  updateEmptyThread();
}

function emptyList(readOnly) {
  if (readOnly) return "This index has no documents.";
  if (ui.indexing) return "Reading your files: each is listed here once it is indexed.";
  return "No documents in this collection yet. Drop files above to add them.";
}

// A read-only index (served with ragkit serve --index) takes no uploads and cannot be
// deleted here: in place of the drop zone the panel says so, where its files change, and
// offers a collection that does take them.
function showReadOnly(collection) {
  const readOnly = Boolean(collection);
  $("upload-form").hidden = readOnly;
  $("read-only").hidden = !readOnly;
  // With no collection there is nothing to delete, nor a conversation to start anew.
  $("delete-collection").hidden = readOnly || !ui.collection;
  $("new-conversation").disabled = !ui.collection;
  // The last upload's progress belongs to the collection it went to.
  if (readOnly && !ui.indexing) $("job").hidden = true;
  if (readOnly) {
    // The command's option and name kept on one line: "--" alone at a line's end reads wrong.
    $("read-only-text").replaceChildren(
      `“${collection.name}” is an index served read-only: files cannot be uploaded to it here. ` +
      "To add files, run ",
      el("code", {}, "ragkit index FILES ", el("span", { className: "nowrap", textContent: `--index ${collection.id}` })),
      " where the server runs.");
  }
}

function documentItem(d, readOnly) {
  const parts = [];
  if (d.status === "indexed") {
    if (d.pages) parts.push(`${d.pages} page${d.pages === 1 ? "" : "s"}`);
    parts.push(`${d.chunks} passage${d.chunks === 1 ? "" : "s"}`);
  } else parts.push(`${d.status}: ${d.reason}`);
  const passages = el("button", { type: "button", className: "quiet small show-chunks", textContent: "Passages", ariaExpanded: "false" });
  const chunks = el("ol", { className: "chunks", hidden: true });
  const item = el("li", { dataset: { name: d.name } },
    el("div", { className: "doc-head" },
      el("span", { className: "doc-name" }, el("span", { className: "name", textContent: d.name }), " ",
        el("span", { className: "meta" + (d.status === "indexed" ? "" : " failed"), textContent: parts.join(" · ") })),
      el("span", { className: "doc-actions" })),
    chunks);
  const actions = item.querySelector(".doc-actions");
  if (d.status === "indexed") {
    actions.append(passages);
    passages.addEventListener("click", guarded(() => toggleChunks(d.name, chunks, passages)));
  }
  if (!readOnly) {
    const remove = el("button", { type: "button", className: "danger quiet small delete-doc", textContent: "Delete", title: `Delete ${d.name}` });
    remove.addEventListener("click", () => deleteDocument(d.name).catch((e) => showError(e.message)));
    actions.append(remove);
  }
  return item;
}

async function toggleChunks(name, list, button) {
  if (!list.hidden) {
    list.hidden = true;
    button.setAttribute("aria-expanded", "false");
    return;
  }
  const { chunks } = await json(api(`/documents/${encodeURIComponent(name)}/chunks`));
  list.replaceChildren();
  for (const c of chunks) {
    const where = c.page_start ? (c.page_end && c.page_end !== c.page_start ? `pp. ${c.page_start}–${c.page_end}` : `p. ${c.page_start}`) : "";
    const words = el("span", { className: "words" });
    RagkitMarkdown.snippet(words, c.text);
    const open = el("button", { type: "button", className: "chunk" },
      el("span", { className: "meta", textContent: where }), " ", words);
    open.addEventListener("click", guarded(() => openPage({ chunk_id: c.id, file: name }, c.page_start)));
    list.append(el("li", {}, open));
  }
  if (!chunks.length) list.append(el("li", { className: "meta", textContent: "No passages." }));
  list.hidden = false;
  button.setAttribute("aria-expanded", "true");
}

async function deleteDocument(name) {
  showError("");
  await call(api(`/documents/${encodeURIComponent(name)}`), { method: "DELETE" });
  await loadDocuments();
}

// ---- uploads and indexing progress --------------------------------------------------
async function upload(files) {
  showError("");
  if (!files.length) throw new Error("choose one or more files first");
  ui.indexing = true;
  // An empty collection's notes say at once that its files are being read, not "no
  // documents yet" until the first is indexed.
  const empty = $("documents").querySelector(":scope > li.empty");
  if (empty && ui.collection) empty.textContent = emptyList(false);
  updateEmptyThread();
  try {
    await sendFiles(files);
  } finally {
    if (ui.indexing) {
      ui.indexing = false;
      await loadDocuments().catch(() => {});
    }
  }
}

async function sendFiles(files) {
  // A first upload makes its collection, named after the first file; should the server
  // refuse the upload (an empty or mislabelled file), that empty collection goes again.
  const made = ui.collection ? "" : await createCollection(files[0].name.replace(/\.[^.]*$/, ""));
  const form = new FormData();
  for (const f of files) form.append("files", f, f.name);
  let job;
  try {
    ({ job } = await json(api("/documents"), { method: "POST", body: form }));
  } catch (e) {
    if (made) {
      await call(`/api/collections/${encodeURIComponent(made)}`, { method: "DELETE" }).catch(() => {});
      ui.collection = "";
      ui.conversation = "";
      ui.indexing = false;
      await loadCollections().catch(() => {});
    }
    throw e;
  }
  $("file-input").value = "";
  updateDropLabel();
  await followJob(job.id);
}

function describeJob(job) {
  const parts = [job.stage];
  parts.push(`files ${job.files_done}/${job.files_total}`);
  if (job.chunks_total) parts.push(`passages embedded ${job.chunks_done}/${job.chunks_total}`);
  // A scan is read page by page: say which, since a long one takes minutes.
  if (job.ocr && job.state === "running") parts.push(`${job.ocr.file}: OCR page ${job.ocr.done}/${job.ocr.total}`);
  if (job.message && job.state === "running") parts.push(job.message);
  if (job.state === "done") {
    const counts = {};
    for (const o of job.outcomes) counts[o.status] = (counts[o.status] || 0) + 1;
    const summary = Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(", ");
    const problems = job.outcomes.filter((o) => o.status === "failed" || o.status === "skipped")
      .map((o) => `${o.file}: ${o.reason}`);
    const scanned = job.ocr_pages ? ` (${job.ocr_pages} scanned page${job.ocr_pages === 1 ? "" : "s"} read by OCR)` : "";
    // A no-break space: the unit never starts a line of its own ("8.94" / "s").
    return [`Indexing finished: ${summary || "nothing to do"} in ${job.seconds}\u00a0s${scanned}`, ...problems].join("\n");
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
    // Before any passage is embedded, a scan's pages move the bar within its file.
    const reading = job.ocr && !job.chunks_total ? job.ocr.done / Math.max(job.ocr.total, 1) : 0;
    const done = job.chunks_total ? job.chunks_done : job.files_done + reading;
    bar.value = job.state === "done" ? 1 : Math.min(done / total, 1);
    status.textContent = describeJob(job);
    if (job.state === "done" || job.state === "failed") {
      status.dataset.state = job.state;
      ui.indexing = false;
      // On a phone the conversation moves above the documents once there is something
      // to ask (body.has-docs): the outcome the reader was watching stays in view.
      const shown = inView(status);
      await loadDocuments();
      if (shown && !inView(status)) status.scrollIntoView({ block: "nearest" });
      return job;
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

function inView(node) {
  const r = node.getBoundingClientRect();
  return r.bottom > 0 && r.top < window.innerHeight;
}

function updateDropLabel() {
  const files = [...$("file-input").files];
  $("drop-zone").querySelector(".drop-title").textContent = files.length
    ? files.map((f) => f.name).join(", ")
    : "Drop PDF, Word, HTML, Markdown or text files here";
}

// ---- conversations ------------------------------------------------------------------
async function loadConversations() {
  const list = $("conversations");
  if (!ui.collection) {
    list.replaceChildren();
    return;
  }
  const { conversations } = await json(api("/conversations"));
  list.replaceChildren();
  for (const c of conversations) {
    const open = el("button", { type: "button", className: "conv" + (c.id === ui.conversation ? " current" : ""),
      textContent: c.title, title: `${c.turns} question${c.turns === 1 ? "" : "s"}` });
    if (c.id === ui.conversation) open.setAttribute("aria-current", "true");
    open.addEventListener("click", guarded(async () => {
      ui.conversation = c.id;
      writeHash();
      await Promise.all([showConversation(), loadConversations()]);
    }));
    const remove = el("button", { type: "button", className: "quiet small danger", textContent: "✕", title: `Delete the conversation “${c.title}”` });
    remove.setAttribute("aria-label", `Delete the conversation “${c.title}”`);
    remove.addEventListener("click", guarded(() => deleteConversation(c)));
    list.append(el("li", { dataset: { id: c.id } }, open, remove));
  }
  if (!conversations.length) list.append(el("li", { className: "empty", textContent: "Questions you ask appear here as conversations." }));
}

async function deleteConversation(c) {
  const ok = await confirmDialog(`Delete “${c.title}”?`,
    `The conversation “${c.title}” and its ${c.turns} answer${c.turns === 1 ? "" : "s"} will be deleted. This cannot be undone.`,
    "Delete conversation");
  if (!ok) return;
  await call(api(`/conversations/${encodeURIComponent(c.id)}`), { method: "DELETE" });
  if (ui.conversation === c.id) {
    ui.conversation = "";
    writeHash();
    await showConversation();
  }
  await loadConversations();
}

async function showConversation() {
  const thread = $("thread");
  thread.replaceChildren();
  if (ui.collection && ui.conversation) {
    try {
      const { turns } = await json(api(`/conversations/${encodeURIComponent(ui.conversation)}`));
      for (const t of turns) {
        const turn = addTurn(t.question);
        finishTurn(turn, t, t.state || "done");
      }
    } catch (e) {
      ui.conversation = "";
      writeHash();
      throw e;
    }
  }
  updateEmptyThread();
  const last = thread.lastElementChild;
  if (last) last.scrollIntoView({ block: "end" });
}

function updateEmptyThread() {
  const box = $("empty-thread");
  const empty = !$("thread").children.length;
  box.hidden = !empty;
  if (!empty) return;
  // No "on the left": on a phone the documents panel is below the conversation.
  if (!ui.collection) box.textContent = "Start by dropping a few documents in the Documents panel. Then ask a question here: answers cite the page they come from.";
  else if (!ui.documents.length && ui.indexing) box.textContent = "Your files are being read. Ask about them here once the Documents panel lists them.";
  else if (!ui.documents.length) box.textContent = "This collection has no documents yet. Drop files in the Documents panel, then ask about them here.";
  else box.textContent = "Ask a question about this collection's documents. Follow-up questions keep the conversation in mind.";
}

// ---- questions ----------------------------------------------------------------------
async function* serverEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch (e) {
      if (e.name === "AbortError") throw e;
      throw new Error(LOST);
    }
    const { value, done } = chunk;
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
      if (data) yield { event, data: JSON.parse(data) };
    }
  }
}

function locationOf(s) {
  if (s.page) return `${s.file} p. ${s.page}`;
  return s.location;
}

// A new turn at the end of the thread; only the newest answer carries the ids
// #answer and #citations.
function addTurn(question) {
  for (const old of document.querySelectorAll("#answer, #citations")) old.removeAttribute("id");
  const answer = el("div", { id: "answer", className: "answer markdown" });
  answer.dataset.state = "streaming";
  const turn = el("article", { className: "turn" },
    el("div", { className: "question" }, el("p", { textContent: question })),
    el("div", { className: "reply" },
      el("div", { className: "stage" }),
      answer,
      el("div", { className: "sources" })));
  $("thread").append(turn);
  updateEmptyThread();
  return turn;
}

function citeButton(number, sources) {
  const source = sources.find((s) => s.number === number);
  const chip = el("button", { type: "button", className: "cite", textContent: String(number) });
  chip.setAttribute("aria-label", source ? `Source ${number}: ${locationOf(source)}` : `Source ${number}`);
  if (source) {
    chip.title = locationOf(source);
    chip.addEventListener("click", guarded(() => openPage(source, source.page, source.sentence)));
  } else chip.disabled = true;
  return chip;
}

// One item per document, not per passage: two cited passages of one file are its name
// once, then each passage's number (and page) with the sentence it supports.
function byDocument(sources) {
  const groups = new Map();
  for (const s of sources) {
    if (!groups.has(s.file)) groups.set(s.file, []);
    groups.get(s.file).push(s);
  }
  return [...groups.values()];
}

// The sources of an answer still being written, shown as soon as the server has chosen
// them (before the model writes): each marked once the text so far cites it, all listed
// in order (folding the uncited ones waits for the end, or the list would jump about as
// citations arrive).
function showGrowingSources(turn, sources, text) {
  const cited = [...new Set([...text.matchAll(CITED)].flatMap((m) => m[1].split(/[,，、]/).map((n) => Number(n.trim()))))];
  const key = cited.join(" ");
  const box = turn.querySelector(".sources");
  if (box.dataset.cited === key && box.childElementCount) return;
  box.dataset.cited = key;
  renderSources(box, sources, cited.map((number) => ({ number })), true);
}
const CITED = /[[【](\d+(?:\s*[,，、]\s*\d+)*)[\]】]/g;

function renderSources(box, sources, cited, growing = false) {
  box.replaceChildren();
  if (!sources.length) return;
  const citedNumbers = new Set(cited.map((c) => c.number));
  const marked = new Set(citedNumbers);
  const passage = (s, label) => {
    const open = el("button", { type: "button", className: "citation", textContent: label });
    open.addEventListener("click", guarded(() => openPage(s, s.page, s.sentence)));
    // The passage's own Markdown (a .md source) rendered as an answer's is, not shown raw.
    const snippet = el("span", { className: "snippet" });
    RagkitMarkdown.snippet(snippet, s.sentence || s.snippet || "");
    return [open, snippet];
  };
  const item = (group) => {
    const li = el("li", { className: group.some((s) => marked.has(s.number)) ? "cited" : "",
      dataset: { number: String(group[0].number), file: group[0].file } });
    if (group.length === 1) li.append(...passage(group[0], `[${group[0].number}] ${locationOf(group[0])}`));
    else {
      li.append(el("span", { className: "source-file", textContent: group[0].file }));
      for (const s of group) {
        li.append(el("div", { className: "source-passage", dataset: { number: String(s.number) } },
          ...passage(s, s.page ? `[${s.number}] p. ${s.page}` : `[${s.number}]`)));
      }
    }
    return li;
  };
  // With no citation at all every source is shown: which ones the answer used is unknown.
  if (growing) citedNumbers.clear();
  const used = byDocument(citedNumbers.size ? sources.filter((s) => citedNumbers.has(s.number)) : sources);
  const unused = byDocument(citedNumbers.size ? sources.filter((s) => !citedNumbers.has(s.number)) : []);
  const list = el("ol", { id: box.closest(".turn") === $("thread").lastElementChild ? "citations" : "", className: "source-list" });
  for (const g of used) list.append(item(g));
  for (const g of unused) list.append(item(g));
  box.append(list);
  if (unused.length) {
    // Folded: an <li> cannot sit in <details>, so the unused items are hidden until asked.
    const count = unused.reduce((n, g) => n + g.length, 0);
    const more = el("button", { type: "button", className: "quiet small more-sources",
      textContent: `${count} more source${count === 1 ? "" : "s"} searched but not cited` });
    more.setAttribute("aria-expanded", "false");
    const hidden = [...list.children].slice(used.length);
    for (const li of hidden) li.hidden = true;
    more.addEventListener("click", () => {
      const show = more.getAttribute("aria-expanded") !== "true";
      for (const li of hidden) li.hidden = !show;
      more.setAttribute("aria-expanded", String(show));
    });
    box.append(more);
  }
}

function finishTurn(turn, data, state) {
  const answer = turn.querySelector(".answer");
  const sources = data.sources || [];
  RagkitMarkdown.render(answer, data.text || "", (n) => citeButton(n, sources));
  if (state === "stopped") answer.append(el("p", { className: "meta stopped", textContent: "Stopped." }));
  // How many of the model's sentences the checks withheld, as `ragkit ask` says it.
  if (data.left_out) answer.append(el("p", { className: "meta left-out", textContent: data.left_out }));
  renderSources(turn.querySelector(".sources"), sources, data.citations || []);
  turn.querySelector(".stage").replaceChildren();
  answer.dataset.state = state;
}

function setStage(turn, text) {
  const stage = turn.querySelector(".stage");
  stage.replaceChildren(el("span", { className: "spinner", ariaHidden: "true" }), el("span", { textContent: text }));
  $("ask-status").textContent = text;
}

async function ask(question) {
  showError("");
  if (!ui.collection) throw new Error("create a collection and upload documents first");
  if (ui.asking) return;
  if (!question.trim()) {
    // The server says what is wrong; shown the same way as any other refusal.
    await call(api("/ask"), { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ question }) });
    return;
  }
  const turn = addTurn(question);
  const answer = turn.querySelector(".answer");
  turn.scrollIntoView({ block: "end" });
  const controller = new AbortController();
  ui.asking = controller;
  $("ask-button").disabled = true;
  $("stop-button").hidden = false;
  $("question").value = "";
  setStage(turn, STAGES.queued);
  $("ask-status").dataset.stage = "queued";
  let text = "";
  let sources = [];
  try {
    const body = { question };
    if (ui.conversation) body.conversation = ui.conversation;
    const response = await call(api("/ask"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    for await (const { event, data } of serverEvents(response)) {
      const follow = endBelow(turn) <= 40;
      if (event === "conversation") {
        if (data.new) {
          ui.conversation = data.id;
          writeHash();
          loadConversations().catch((e) => showError(e.message));
        }
      } else if (event === "status") {
        $("ask-status").dataset.stage = data.stage;
        if (!text) setStage(turn, STAGES[data.stage] || data.stage);
      } else if (event === "waiting") {
        setStage(turn, data.ahead > 0 ? `Waiting for the model: ${data.ahead} question${data.ahead === 1 ? "" : "s"} ahead…` : STAGES.queued);
      } else if (event === "sources") {
        sources = data.sources;
        showGrowingSources(turn, sources, text);
      } else if (event === "text") {
        text += data.text;
        renderGrowing(answer, text, sources);
        showGrowingSources(turn, sources, text);
        if (text.trim()) {
          turn.querySelector(".stage").replaceChildren();
          $("ask-status").textContent = STAGES.checking;
        }
      } else if (event === "done") {
        finishTurn(turn, data, "done");
        $("ask-status").dataset.stage = "done";
      } else if (event === "error") throw new Error(data.message);
      if (follow) keepEndShown(turn);
    }
    // The stream closed without its "done" (the server stopped mid-answer).
    if (answer.dataset.state === "streaming") throw new Error(LOST);
  } catch (e) {
    if (e.name === "AbortError") {
      const follow = endBelow(turn) <= 40;
      // The sources shown while it was written stay, those it cited marked.
      const cited = new Set([...text.matchAll(CITED)].flatMap((m) => m[1].split(/[,，、]/).map(Number)));
      finishTurn(turn, { text, sources, citations: sources.filter((s) => cited.has(s.number)) }, "stopped");
      if (follow) keepEndShown(turn);
      $("ask-status").dataset.stage = "stopped";
    } else {
      answer.dataset.state = "failed";
      turn.querySelector(".stage").replaceChildren();
      throw e;
    }
  } finally {
    if (answer.dataset.state === "streaming") answer.dataset.state = "failed";
    for (const mark of answer.querySelectorAll(".pending")) mark.remove();
    $("ask-status").textContent = "";
    ui.asking = null;
    $("ask-button").disabled = false;
    $("stop-button").hidden = true;
    loadConversations().catch(() => {});
  }
}

function stop() {
  if (ui.asking) ui.asking.abort();
}

// The page follows an answer as it grows (text, then its sources) while the end of its turn
// is in view, or nearly (asking scrolls it there); a reader who scrolled up to reread stays
// where they are. The thread scrolls inside a wide window and the whole page in a narrow
// one, so the visible bottom is the higher of the thread's and the window's.
function endBelow(turn) {
  const bottom = Math.min($("thread").getBoundingClientRect().bottom, window.innerHeight);
  return turn.getBoundingClientRect().bottom - bottom;
}

function keepEndShown(turn) {
  if (endBelow(turn) > 0) turn.scrollIntoView({ block: "end" });
}

// ---- the cited page -----------------------------------------------------------------
async function imageData(url) {
  const blob = await (await call(url)).blob();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(new Error("the page picture could not be read"));
    reader.readAsDataURL(blob);
  });
}

async function openPage(source, page, sentence) {
  showError("");
  const params = new URLSearchParams();
  if (page) params.set("page", page);
  if (sentence) params.set("sentence", sentence);
  const query = params.toString() ? "?" + params : "";
  const view = await json(api(`/chunks/${source.chunk_id}/page${query}`));
  ui.viewer = { source, view, sentence };
  const viewer = $("viewer");
  viewer.hidden = false;
  document.body.classList.add("viewing");
  $("viewer-title").textContent = view.page ? `${view.file} — page ${view.page} of ${view.pages}` : view.file;
  $("viewer-note").textContent = view.exact ? "" : "The file changed or is gone; showing the indexed passage.";
  $("prev-page").disabled = !view.page || view.page <= 1;
  $("next-page").disabled = !view.page || view.page >= view.pages;
  // A file without pages (Word, HTML, Markdown, text) has nothing to turn.
  $("prev-page").hidden = $("next-page").hidden = !view.page;
  const quote = $("viewer-sentence");
  const formatted = Boolean(view.blocks && view.blocks.length);
  // Formatted text: the quote is the marked runs' words, without Markdown's markers.
  const lit = formatted
    ? view.blocks.flatMap((b) => b.cells || [b.runs]).flat().filter(([, style]) => style.split(" ").includes("mark")).map(([words]) => words).join("")
    : view.highlights.length ? view.text.slice(view.highlights[0][0], view.highlights[0][1]) : "";
  quote.hidden = !(sentence && lit);
  quote.textContent = sentence && lit ? lit : "";

  const picture = $("page-image");
  picture.replaceChildren();
  picture.hidden = !view.image;
  picture.dataset.state = view.image ? "loading" : "none";
  if (view.image) {
    const frame = el("div", { className: "page-frame" });
    frame.style.aspectRatio = `1 / ${view.aspect || 1.414}`;
    picture.append(frame);
    for (const [left, top, right, bottom] of view.boxes) {
      const box = el("div", { className: "hl" });
      Object.assign(box.style, {
        left: `${left * 100}%`, top: `${top * 100}%`,
        width: `${(right - left) * 100}%`, height: `${(bottom - top) * 100}%`,
      });
      frame.append(box);
    }
  }
  const text = $("page-text");
  text.replaceChildren();
  text.classList.toggle("secondary", Boolean(view.image));
  text.classList.toggle("formatted", formatted);
  // A plain-text file's lines keep their indentation (its paragraphs come reflowed).
  text.classList.toggle("plain", formatted && view.file_type === "txt");
  $("page-text-title").hidden = !view.image;
  if (formatted) {
    text.append(...renderBlocks(view.blocks));
  } else {
    let last = 0;
    for (const [start, end] of view.highlights) {
      text.append(view.text.slice(last, start), el("mark", { textContent: view.text.slice(start, end) }));
      last = end;
    }
    text.append(view.text.slice(last));
  }
  if (view.image) {
    // As wide as the page is drawn (wider than the viewer on a phone), for sharp text.
    const drawn = picture.querySelector(".page-frame").clientWidth;
    const width = Math.round(Math.max(drawn || 600, 300) * (window.devicePixelRatio || 1));
    const data = await imageData(`${view.image}?width=${width}`);
    if (ui.viewer.view !== view) return; // another page was opened meanwhile
    const frame = picture.querySelector(".page-frame");
    frame.prepend(el("img", { src: data, alt: `Page ${view.page} of ${view.file}` }));
    picture.dataset.state = "ready";
    const first = frame.querySelector(".hl");
    (first || frame).scrollIntoView({ block: "center", inline: "start" });
  } else {
    const mark = text.querySelector("mark");
    if (mark) mark.scrollIntoView({ block: "center" });
  }
}

// A document without pages, as the server's blocks: [{kind, level, runs | cells}], a run
// being [text, "mark strong em code"]. Built with textContent only: nothing in a
// document becomes markup.
function renderRuns(runs) {
  return runs.map(([words, style]) => {
    const flags = style ? style.split(" ") : [];
    let node = document.createTextNode(words);
    for (const [flag, tag] of [["code", "code"], ["em", "em"], ["strong", "strong"], ["mark", "mark"]]) {
      if (flags.includes(flag)) node = el(tag, {}, node);
    }
    return node;
  });
}

function renderBlocks(blocks) {
  const out = [];
  const lists = []; // open lists, outermost first: {level, node}
  let table = null;
  for (const block of blocks) {
    const item = block.kind === "bullet" || block.kind === "number";
    if (!item) lists.length = 0;
    if (block.kind !== "row") table = null;
    if (item) {
      const tag = block.kind === "number" ? "ol" : "ul";
      const level = Math.max(1, block.level);
      while (lists.length && lists[lists.length - 1].level > level) lists.pop();
      let top = lists[lists.length - 1];
      if (top && top.level === level && top.node.tagName.toLowerCase() !== tag) { lists.pop(); top = lists[lists.length - 1]; }
      if (!top || top.level < level) {
        const list = el(tag);
        const parent = top && top.node.lastElementChild;
        if (parent) parent.append(list);
        else out.push(list);
        lists.push({ level, node: list });
      }
      lists[lists.length - 1].node.append(el("li", {}, ...renderRuns(block.runs)));
    } else if (block.kind === "row") {
      if (!table) { table = el("table"); out.push(el("div", { className: "table-wrap" }, table)); }
      const cell = block.level === 1 ? "th" : "td";
      table.append(el("tr", {}, ...block.cells.map((runs) => el(cell, {}, ...renderRuns(runs)))));
    } else if (block.kind === "heading") {
      out.push(el(`h${Math.min(6, Math.max(1, block.level))}`, {}, ...renderRuns(block.runs)));
    } else if (block.kind === "code") {
      out.push(el("pre", {}, el("code", {}, ...renderRuns(block.runs))));
    } else if (block.kind === "quote") {
      out.push(el("blockquote", {}, ...renderRuns(block.runs)));
    } else {
      out.push(el("p", {}, ...renderRuns(block.runs)));
    }
  }
  return out;
}

function closeViewer() {
  $("viewer").hidden = true;
  document.body.classList.remove("viewing");
  ui.viewer = null;
}

// ---- wiring -------------------------------------------------------------------------
function guarded(fn) {
  return (event) => {
    if (event && event.preventDefault) event.preventDefault();
    fn().catch((e) => showError(e.message));
  };
}

document.addEventListener("DOMContentLoaded", () => {
  $("collection-select").addEventListener("change", guarded(async () => {
    ui.collection = $("collection-select").value;
    ui.conversation = "";
    writeHash();
    closeViewer();
    await Promise.all([loadDocuments(), loadConversations(), showConversation()]);
  }));
  $("new-collection").addEventListener("submit", guarded(async () => {
    const name = $("new-collection-name").value.trim();
    if (!name) throw new Error("give the new collection a name");
    await createCollection(name);
    $("new-collection-name").value = "";
  }));
  $("delete-collection").addEventListener("click", guarded(deleteCollection));
  $("read-only-create").addEventListener("click", () => {
    $("new-collection-name").scrollIntoView({ block: "center" });
    $("new-collection-name").focus();
  });
  $("upload-form").addEventListener("submit", guarded(() => upload([...$("file-input").files])));
  $("file-input").addEventListener("change", updateDropLabel);
  const zone = $("drop-zone");
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    const files = [...(e.dataTransfer ? e.dataTransfer.files : [])];
    if (files.length) upload(files).catch((err) => showError(err.message));
  });
  $("ask-form").addEventListener("submit", guarded(() => ask($("question").value)));
  $("question").addEventListener("keydown", (e) => {
    // Enter asks; Shift+Enter starts a new line.
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("ask-form").requestSubmit();
    }
  });
  $("stop-button").addEventListener("click", stop);
  $("new-conversation").addEventListener("click", guarded(async () => {
    ui.conversation = "";
    writeHash();
    await Promise.all([showConversation(), loadConversations()]);
    $("question").focus();
  }));
  $("prev-page").addEventListener("click", guarded(() => openPage(ui.viewer.source, ui.viewer.view.page - 1, ui.viewer.sentence)));
  $("next-page").addEventListener("click", guarded(() => openPage(ui.viewer.source, ui.viewer.view.page + 1, ui.viewer.sentence)));
  $("close-viewer").addEventListener("click", closeViewer);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !$("viewer").hidden && !$("confirm").open) closeViewer();
  });
  $("key-form").addEventListener("submit", guarded(async () => {
    sessionStorage.setItem("ragkit-key", $("api-key").value);
    $("key-form").hidden = true;
    showError("");
    const wanted = readHash();
    await loadCollections(wanted.collection, wanted.conversation);
  }));
  window.addEventListener("hashchange", guarded(async () => {
    const wanted = readHash();
    if (wanted.collection !== ui.collection || wanted.conversation !== ui.conversation) {
      await loadCollections(wanted.collection, wanted.conversation);
    }
  }));
  const wanted = readHash();
  guarded(() => loadCollections(wanted.collection, wanted.conversation))();
});
