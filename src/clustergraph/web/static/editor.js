/* The SPARQL editor: YASQE (highlighting, completion, syntax check) over the page's textarea and YASR (table,
   pivot, chart, raw response) for the answer, both from the vendored YASGUI build, against this server's /sparql.

   Nothing here reaches past this server: prefix completion offers the graph's own prefixes (not prefix.cc), the
   class and property completers that ask LOV are left off, there is no endpoint field or CORS proxy, and
   nothing is kept in localStorage, so a shared /query?query=... link always opens what it says.
   Without JavaScript the form above posts to /sparql instead. */
"use strict";

(function () {
  const form = document.getElementById("sparql-form");
  if (!form || !window.Yasgui) return;
  const Yasqe = window.Yasgui.Yasqe, Yasr = window.Yasgui.Yasr;
  const textarea = document.getElementById("query");
  const examples = document.getElementById("example");
  const statusLine = document.getElementById("status");
  const truncated = document.getElementById("truncated");
  const baseIri = form.dataset.baseIri || "";
  let prefixes = {};
  try { prefixes = JSON.parse(form.dataset.prefixes || "{}"); } catch (e) { prefixes = {}; }

  // The prefix completer, fed from the graph's prefix table instead of prefix.cc; it also adds the PREFIX
  // line when a known prefixed name is typed without one.
  Yasqe.forkAutocompleter("prefixes", {
    name: "graphPrefixes",
    persistenceId: null,
    get: Object.entries(prefixes).map(([p, ns]) => p + ": <" + ns + ">").sort(),
  }, false);
  // Set on the defaults themselves: a config given to the constructor is merged into them index by index, which
  // would leave the prefix.cc and LOV completers switched on behind ours.
  Yasqe.defaults.autocompleters.splice(0, Yasqe.defaults.autocompleters.length, "graphPrefixes", "variables");
  Yasr.defaults.pluginOrder.splice(0, Yasr.defaults.pluginOrder.length, "table", "pivot", "chart", "response");

  const editorEl = document.getElementById("yasqe");
  editorEl.hidden = false;
  form.hidden = true;
  const yasqe = new Yasqe(editorEl, {
    value: textarea.value,
    persistenceId: null,
    consumeShareLink: null,  // the default reads endpoint= from the address; this page reads only ?query=
    requestConfig: {
      endpoint: "/sparql",
      method: "POST",
      acceptHeaderSelect: "application/sparql-results+json",
      acceptHeaderGraph: "text/turtle",
      headers: {},
      args: [],
      namedGraphs: [],
      defaultGraphs: [],
    },
    createShareableLink: shareLink,
    editorHeight: window.innerWidth < 700 ? "220px" : "300px",
    resizeable: true,
  });
  const yasr = new Yasr(document.getElementById("yasr"), {
    persistenceId: null,
    prefixes: prefixes,
    defaultPlugin: "table",
    getPlainQueryLinkToEndpoint: function () { return "/sparql?query=" + encodeURIComponent(yasqe.getValue()); },
  });
  window.cgEditor = {yasqe: yasqe, yasr: yasr};
  // CodeMirror's hidden input carries no label of its own (axe: "form elements must have labels").
  const input = yasqe.getInputField();
  if (input) { input.setAttribute("aria-label", "SPARQL query"); }
  // A long query scrolls inside the editor: keyboard users reach that region too.
  yasqe.getScrollerElement().setAttribute("tabindex", "0");

  function shareLink() {
    return location.origin + "/query?query=" + encodeURIComponent(yasqe.getValue());
  }

  /** Download links that fit the query's form: every row of a SELECT as CSV, a graph as Turtle. */
  function updateLinks() {
    const q = encodeURIComponent(yasqe.getValue());
    const type = (yasqe.getQueryType() || "SELECT").toUpperCase();
    const csv = document.getElementById("download-csv");
    const json = document.getElementById("download-json");
    if (type === "CONSTRUCT" || type === "DESCRIBE") {
      csv.textContent = "Turtle";
      csv.href = "/sparql?query=" + q + "&format=ttl";
      json.textContent = "N-Triples";
      json.href = "/sparql?query=" + q + "&format=nt";
    } else {
      csv.textContent = type === "ASK" ? "CSV" : "CSV, every row";
      csv.href = "/sparql?query=" + q + "&format=csv" + (type === "ASK" ? "" : "&rows=all");
      json.textContent = "JSON";
      json.href = "/sparql?query=" + q + "&format=json";
    }
    document.getElementById("truncated-csv").href = "/sparql?query=" + q + "&format=csv&rows=all";
    document.getElementById("share").href = "/query?query=" + q;
  }

  /** Our own IRIs open their page on this server rather than at the persistent address. */
  function localise(anchor) {
    const href = anchor.getAttribute("href") || "";
    if (baseIri && href.startsWith(baseIri)) {
      anchor.setAttribute("href", "/" + href.slice(baseIri.length));
      anchor.removeAttribute("target");
    }
  }
  const resultsEl = document.getElementById("yasr");
  for (const kind of ["click", "mouseover", "focusin"]) {
    resultsEl.addEventListener(kind, function (event) {
      const anchor = event.target.closest && event.target.closest("a[href]");
      if (anchor) localise(anchor);
    }, true);
  }
  yasr.on("drawn", function () { resultsEl.querySelectorAll("a[href]").forEach(localise); });

  let marked = null;
  /** Underline the line and column a server error names ("line 2, column 8"). */
  function markError(text) {
    const found = /line (\d+), column (\d+)/.exec(text || "");
    if (!found) return;
    const line = Number(found[1]) - 1, ch = Math.max(Number(found[2]) - 1, 0);
    const doc = yasqe.getDoc();
    if (line >= doc.lineCount()) return;
    const end = doc.getLine(line).slice(ch).search(/[\s{}()]|$/);
    marked = doc.markText({line: line, ch: ch}, {line: line, ch: ch + Math.max(end, 1)},
                          {className: "server-error", title: text});
  }

  yasqe.on("change", function () {
    if (marked) { marked.clear(); marked = null; }
    updateLinks();
  });
  yasqe.on("query", function () {
    truncated.hidden = true;
    statusLine.textContent = "Running…";
    history.replaceState(null, "", "/query?query=" + encodeURIComponent(yasqe.getValue()));
    updateLinks();
  });
  yasqe.on("queryResponse", function (_yasqe, response, duration) {
    yasr.setResponse(response, duration);
    const headers = (response && (response.header || (response.response && response.response.header))) || {};
    truncated.hidden = headers["x-clustergraph-truncated"] !== "true";
    const failed = response && response.status >= 400 || (response && response.response && response.response.status >= 400);
    if (failed) {
      const body = (response.response && response.response.text) || response.text || "";
      statusLine.textContent = "The query failed.";
      markError(body);
      return;
    }
    const rows = yasr.results && yasr.results.getBindings ? (yasr.results.getBindings() || []).length : 0;
    statusLine.textContent = rows + (rows === 1 ? " row" : " rows") + " in " + duration + " ms.";
  });

  examples.addEventListener("change", function () {
    const option = examples.selectedOptions[0];
    if (option && option.dataset.sparql) {
      yasqe.setValue(option.dataset.sparql);
      yasqe.focus();
    }
  });
  updateLinks();
  if (form.dataset.autorun === "true") yasqe.query().catch(function () {});
})();
