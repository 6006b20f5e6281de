/* The SPARQL editor: runs the textarea's query against /sparql and shows the answer as a table.
   No libraries, no network beyond this server. Every value goes into the page as text, never as HTML. */
"use strict";

(function () {
  const form = document.getElementById("sparql-form");
  if (!form) return;
  const textarea = document.getElementById("query");
  const examples = document.getElementById("example");
  const runButton = document.getElementById("run");
  const statusLine = document.getElementById("status");
  const truncated = document.getElementById("truncated");
  const errorBox = document.getElementById("error");
  const table = document.getElementById("results");
  const raw = document.getElementById("raw");
  const baseIri = form.dataset.baseIri || "";
  let prefixes = {};
  try { prefixes = JSON.parse(form.dataset.prefixes || "{}"); } catch (e) { prefixes = {}; }

  /** The href for an IRI: a local path for our own IRIs, the IRI for http(s), else null. */
  function linkFor(iri) {
    if (baseIri && iri.startsWith(baseIri)) return "/" + iri.slice(baseIri.length);
    if (/^https?:\/\//i.test(iri)) return iri;
    return null;
  }

  /** A prefixed name for an IRI when a known namespace fits and the rest is a plain local name. */
  function compact(iri) {
    let best = null;
    for (const [prefix, ns] of Object.entries(prefixes)) {
      if (iri.startsWith(ns) && (!best || ns.length > best[1].length)) best = [prefix, ns];
    }
    if (!best) return iri;
    const local = iri.slice(best[1].length);
    return local && !/[\/#]/.test(local) ? best[0] + ":" + local : iri;
  }

  function updateLinks(query) {
    const q = encodeURIComponent(query);
    document.getElementById("download-csv").href = "/sparql?query=" + q + "&format=csv";
    document.getElementById("download-json").href = "/sparql?query=" + q + "&format=json";
    document.getElementById("share").href = "/query?query=" + q;
  }

  function cellFor(binding) {
    const td = document.createElement("td");
    if (!binding) return td;
    if (binding.type === "uri") {
      const href = linkFor(binding.value);
      const node = document.createElement(href ? "a" : "span");
      if (href) {
        node.href = href;
        if (!href.startsWith("/")) { node.rel = "nofollow noopener noreferrer"; node.className = "external"; }
      }
      node.title = binding.value;
      node.textContent = compact(binding.value);
      td.appendChild(node);
    } else if (binding.type === "bnode") {
      td.textContent = "_:" + binding.value;
      td.className = "bnode";
    } else {
      td.textContent = binding.value;
      if (binding["xml:lang"] && binding["xml:lang"] !== "en") {
        const lang = document.createElement("span");
        lang.className = "lang";
        lang.textContent = " @" + binding["xml:lang"];
        td.appendChild(lang);
      }
    }
    return td;
  }

  function showTable(vars, bindings) {
    const head = table.tHead, body = table.tBodies[0];
    head.replaceChildren();
    body.replaceChildren();
    const tr = document.createElement("tr");
    for (const v of vars) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = v;
      tr.appendChild(th);
    }
    head.appendChild(tr);
    const fragment = document.createDocumentFragment();
    for (const row of bindings) {
      const line = document.createElement("tr");
      for (const v of vars) line.appendChild(cellFor(row[v]));
      fragment.appendChild(line);
    }
    body.appendChild(fragment);
    table.hidden = false;
  }

  function reset() {
    errorBox.hidden = true;
    errorBox.textContent = "";
    truncated.hidden = true;
    table.hidden = true;
    raw.hidden = true;
    raw.textContent = "";
  }

  async function show(response, started) {
    const elapsed = Math.round(performance.now() - started);
    if (!response.ok) {
      const body = await response.text();
      errorBox.textContent = "Error " + response.status + ": " + (body.trim() || response.statusText);
      errorBox.hidden = false;
      statusLine.textContent = "The query failed after " + elapsed + " ms.";
      return;
    }
    truncated.hidden = response.headers.get("X-Clustergraph-Truncated") !== "true";
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("json")) {
      const data = await response.json();
      if (typeof data.boolean === "boolean") {
        statusLine.textContent = "Answer: " + data.boolean + " (" + elapsed + " ms).";
        return;
      }
      const bindings = (data.results && data.results.bindings) || [];
      showTable((data.head && data.head.vars) || [], bindings);
      statusLine.textContent = bindings.length + (bindings.length === 1 ? " row" : " rows") + " in " + elapsed + " ms.";
    } else {
      raw.textContent = await response.text();
      raw.hidden = false;
      statusLine.textContent = "Graph answer (" + type.split(";")[0] + ") in " + elapsed + " ms.";
    }
  }

  async function run() {
    const query = textarea.value;
    reset();
    updateLinks(query);
    history.replaceState(null, "", "/query?query=" + encodeURIComponent(query));
    statusLine.textContent = "Running…";
    runButton.disabled = true;
    const started = performance.now();
    try {
      const response = await fetch("/sparql", {
        method: "POST",
        headers: {"Content-Type": "application/x-www-form-urlencoded",
                  "Accept": "application/sparql-results+json, text/turtle;q=0.9"},
        body: new URLSearchParams({query: query}),
      });
      await show(response, started);
    } catch (err) {
      errorBox.textContent = "The server could not be reached: " + err;
      errorBox.hidden = false;
      statusLine.textContent = "";
    } finally {
      runButton.disabled = false;
    }
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
  examples.addEventListener("change", function () {
    const option = examples.selectedOptions[0];
    if (option && option.dataset.sparql) {
      textarea.value = option.dataset.sparql;
      updateLinks(textarea.value);
    }
  });
  textarea.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  });
  textarea.addEventListener("input", function () { updateLinks(textarea.value); });
  if (form.dataset.autorun === "true") run();
})();
