// clustergraph network drawing: the data of render.drawing_data (fetched from #mynetwork's data-src, or inlined in
// #drawing-data) drawn with vis-network at the positions the server computed (no physics, no layout here), with
// the node search and filter menus (Tom Select; pyvis's utils.js for the highlighting), the details card and the
// zoom buttons. The globals below are the ones pyvis's utils.js and the tests read.

var edges;
var nodes;
var allNodes;
var allEdges;
var nodeColors;
var network;
var options, data;
var highlightActive = false;
var filterActive = false;
var filter = { item: "", property: "", value: [] };
var filterProperties = JSON.parse(document.getElementById("drawing-settings").textContent).filterProperties;
var drawingItems = [];

function isSafe(href) {
  return typeof href === "string" && href !== "" && !href.startsWith("//")
    && (href.startsWith("/") || href.startsWith("http://") || href.startsWith("https://"));
}

// The edge tooltip, as render.edge_tooltip writes it: who is tied, by what, and the shared items behind the tie.
function edgeTitle(payload, entry) {
  var from = payload.nodes[entry[0]], to = payload.nodes[entry[1]];
  var lines = [from.fullLabel + " — " + to.fullLabel];
  if (entry[6]) { lines.push("between 2022 and 2024: " + entry[6]); }
  if (entry[7]) { lines.push("role: " + entry[7]); }
  if (entry[8]) { lines.push("editions: " + entry[8]); }
  var shared = entry[5];
  if (shared.length) {
    lines.push("shared items: " + entry[4] + ", collaboration weight " + entry[3]);
    var most = payload.maxItemsInTooltip;
    shared.slice(0, most).forEach(function (index) {
      var item = payload.items[index];
      lines.push("• " + item[0] + (item[2] ? " (" + item[2] + ")" : ""));
    });
    if (shared.length > most) { lines.push("… and " + (shared.length - most) + " more"); }
  }
  return lines.join("\n");
}

// vis-network's edges from the compact lists (render.EDGE_FIELDS).
function edgeObjects(payload) {
  return payload.edges.map(function (entry, index) {
    var status = entry[6];
    var edge = {
      id: index, from: payload.nodes[entry[0]].id, to: payload.nodes[entry[1]].id, width: entry[2],
      title: edgeTitle(payload, entry), color: status ? payload.statusColours[status] : payload.edgeColour,
      shared: entry[5]
    };
    if (status) {
      edge.status = status;
      edge.dashes = status === "lost";
    }
    if (entry[7]) { edge.role = entry[7]; }
    return edge;
  });
}

function drawGraph(payload) {
  var container = document.getElementById("mynetwork");
  drawingItems = payload.items;
  nodes = new vis.DataSet(payload.nodes);
  edges = new vis.DataSet(edgeObjects(payload));
  performance.mark("cg-datasets");
  nodeColors = {};
  allNodes = nodes.get({ returnType: "Object" });
  for (var nodeId in allNodes) {
    nodeColors[nodeId] = allNodes[nodeId].color;
  }
  allEdges = edges.get({ returnType: "Object" });
  data = { nodes: nodes, edges: edges };
  options = payload.options;
  if (payload.edges.length > 5000) {  // panning and zooming stay smooth on large networks
    options = Object.assign({}, options, {
      interaction: Object.assign({}, options.interaction, { hideEdgesOnDrag: true, hideEdgesOnZoom: true })
    });
  }
  network = new vis.Network(container, data, options);
  performance.mark("cg-network");
  network.once("afterDrawing", function () { tellPage("drawn"); });
  network.on("selectNode", function (params) {
    neighbourhoodHighlight(params);
    showNode(params.nodes[0]);
  });
  network.on("deselectNode", function (params) {
    if (params.nodes.length === 0) {
      neighbourhoodHighlight({ nodes: [] });
      hideDetails();
    }
  });
  network.on("selectEdge", function (params) {
    if (params.nodes.length === 0 && params.edges.length === 1) {
      showEdge(params.edges[0]);
    }
  });
  network.on("doubleClick", function (params) {
    if (params.nodes.length === 1) {
      var node = nodes.get(params.nodes[0]);
      if (node && isSafe(node.href)) {
        window.top.location.assign(node.href);
      }
    }
  });
  return network;
}

function hideDetails() {
  document.getElementById("details").hidden = true;
}

function showDetails(title, text, href, items) {
  document.getElementById("details-title").textContent = title;
  document.getElementById("details-text").textContent = text;
  var link = document.getElementById("details-link");
  if (isSafe(href)) {
    link.setAttribute("href", href);
    link.hidden = false;
  } else {
    link.removeAttribute("href");
    link.hidden = true;
  }
  var list = document.getElementById("details-items");
  list.replaceChildren();
  (items || []).forEach(function (item) {
    var li = document.createElement("li");
    if (isSafe(item.href)) {
      var a = document.createElement("a");
      a.setAttribute("href", item.href);
      a.target = "_top";
      a.textContent = item.label;
      li.appendChild(a);
    } else {
      li.textContent = item.label;
    }
    list.appendChild(li);
  });
  document.getElementById("details").hidden = false;
}

function showNode(id) {
  var node = nodes.get(id);
  if (!node) { return; }
  var text = String(node.title || "").split("\n").slice(1, -1).join("\n");
  showDetails(node.fullLabel, text, node.href, []);
}

// An edge's shared items as {label, href}, for the details card.
function edgeItems(edge) {
  return (edge.shared || []).map(function (index) {
    var item = drawingItems[index];
    return { label: item[0], href: item[1] };
  });
}

function showEdge(id) {
  var edge = edges.get(id);
  if (!edge) { return; }
  var lines = String(edge.title || "").split("\n");
  var text = lines.filter(function (line) { return !line.startsWith("• ") && !line.startsWith("… and "); });
  showDetails(lines[0], text.slice(1).join("\n"), "", edgeItems(edge));
}

// Fit the nodes, then zoom out a little: labels keep their size on screen (below), so a node fitted at the
// edge had half its label cut off, worst on a phone.
function fitAll() {
  network.fit({ animation: false });
  var width = document.getElementById("mynetwork").clientWidth || 800;
  network.moveTo({ scale: network.getScale() * Math.max(0.6, 1 - 140 / width), animation: false });
}

function setUpZoom() {
  // Labels keep 13 px on screen whatever the zoom (vis-network scales fonts with the drawing, so a fitted
  // network on a phone drew them below its 5 px threshold: no labels at all). Large networks keep vis's own
  // scaling, where constant labels would cover each other.
  var LABEL_PX = 13;
  function readableLabels() {
    if (nodes.length <= 400) {
      network.setOptions({ nodes: { font: { size: LABEL_PX / network.getScale() } } });
    }
  }
  function zoom(factor) {
    network.moveTo({ scale: network.getScale() * factor, animation: false });
    readableLabels();
  }
  document.getElementById("zoom-in").addEventListener("click", function () { zoom(1.3); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoom(1 / 1.3); });
  document.getElementById("zoom-fit").addEventListener("click", function () {
    fitAll();
    readableLabels();
  });
  network.on("zoom", readableLabels);
  fitAll();
  readableLabels();
}

function setUpNodeMenu(payload) {
  var select = document.getElementById("select-node");
  var sorted = payload.nodes.slice().sort(function (a, b) {
    return a.fullLabel < b.fullLabel ? -1 : a.fullLabel > b.fullLabel ? 1 : 0;
  });
  sorted.forEach(function (node) { select.add(new Option(node.fullLabel, node.id)); });
  new TomSelect(select, { create: false, maxOptions: null, sortField: { field: "text", direction: "asc" } });
  select.addEventListener("change", function () {
    if (select.value) {
      selectNode([select.value]);
      showNode(select.value);
      network.focus(select.value, { scale: Math.max(network.getScale(), 0.8), animation: false });
    }
  });
  document.getElementById("reset-selection").addEventListener("click", function () {
    select.tomselect.clear(true);
    network.unselectAll();
    neighbourhoodHighlight({ nodes: [] });
    hideDetails();
    fitAll();
  });
}

function setUpFilterMenu() {
  var itemSelect = document.getElementById("select-item");
  var propertySelect = document.getElementById("select-property");
  var valueControl = new TomSelect("#select-value", {
    maxItems: null, valueField: "id", labelField: "title", searchField: "title", create: false,
    sortField: { field: "title", direction: "asc" }
  });
  function resetProperties() {
    propertySelect.replaceChildren(new Option("property…", ""));
    valueControl.clear(true);
    valueControl.clearOptions();
  }
  itemSelect.addEventListener("change", function () {
    filter = { item: itemSelect.value, property: "", value: [] };
    resetProperties();
    (filterProperties[itemSelect.value] || []).forEach(function (name) {
      propertySelect.add(new Option(name, name));
    });
  });
  propertySelect.addEventListener("change", function () {
    filter.property = propertySelect.value;
    valueControl.clear(true);
    valueControl.clearOptions();
    var source = filter.item === "edge" ? allEdges : allNodes;
    var seen = {};
    for (var id in source) {
      var value = source[id][filter.property];
      if (value !== undefined && value !== null && value !== "" && !seen[value]) {
        seen[value] = true;
        valueControl.addOption({ id: String(value), title: String(value) });
      }
    }
  });
  document.getElementById("apply-filter").addEventListener("click", function () {
    filter.value = valueControl.getValue();
    if (filter.item && filter.property && filter.value.length) {
      highlightFilter(filter);
    }
  });
  document.getElementById("reset-filter").addEventListener("click", function () {
    itemSelect.value = "";
    filter = { item: "", property: "", value: [] };
    resetProperties();
    filterHighlight({ nodes: [] });
  });
}

// The view's page (network.js) waits for the first drawing before it asks for the rest of a view being built.
function tellPage(state) {
  if (window.parent !== window) {
    try { window.parent.postMessage({ cgDrawing: state }, location.origin); } catch (error) { /* no page */ }
  }
}

function showLoadError(message) {
  tellPage("failed");
  var container = document.getElementById("mynetwork");
  var note = document.createElement("p");
  note.setAttribute("role", "alert");
  note.style.padding = "1rem";
  note.textContent = "The drawing could not be loaded: " + message + ". Reload the page to try again.";
  container.replaceChildren(note);
}

// performance marks cg-data, cg-datasets, cg-network and cg-menus show where the drawing's time goes (devtools).
function start(payload) {
  performance.mark("cg-data");
  drawGraph(payload);
  setUpZoom();
  setUpNodeMenu(payload);
  setUpFilterMenu();
  performance.mark("cg-menus");
}

(function () {
  var inline = document.getElementById("drawing-data");
  if (inline) {
    start(JSON.parse(inline.textContent));
    return;
  }
  var source = document.getElementById("mynetwork").getAttribute("data-src");
  fetch(source, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    })
    .then(start)
    .catch(function (error) { showLoadError(String(error && error.message || error)); });
})();
