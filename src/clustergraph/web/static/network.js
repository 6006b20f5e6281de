// clustergraph network pages: sortable tables, filter forms that leave empty fields out of the URL, and the
// betweenness and harmonic closeness filled in when the server has computed them (after the drawing).
"use strict";

(function () {
  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    if (!cell) { return numeric ? -Infinity : ""; }
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent.trim();
    if (!numeric) { return raw.toLowerCase(); }
    var number = parseFloat(raw);
    return isNaN(number) ? -Infinity : number;
  }

  function sortBy(table, header) {
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var index = headers.indexOf(header);
    var numeric = header.getAttribute("data-type") === "number";
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (row, position) { row.dataset.position = String(position); });
    rows.sort(function (a, b) {
      var x = cellValue(a, index, numeric);
      var y = cellValue(b, index, numeric);
      var order = x < y ? -1 : x > y ? 1 : 0;
      if (order === 0) { return Number(a.dataset.position) - Number(b.dataset.position); }
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function makeSortable(table) {
    if (!table.tHead || !table.tBodies.length) { return; }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header) {
      var button = document.createElement("button");
      button.type = "button";
      while (header.firstChild) { button.appendChild(header.firstChild); }
      header.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, header); });
    });
  }

  function dropEmptyFields(form) {
    form.addEventListener("submit", function () {
      Array.prototype.forEach.call(form.elements, function (field) {
        if (field.name && field.value === "" && !field.disabled) {
          field.disabled = true;
          window.setTimeout(function () { field.disabled = false; }, 0);
        }
      });
    });
  }

  function link(href, text) {
    if (typeof href === "string" && href !== "" && !href.startsWith("//")
        && (href.startsWith("/") || href.startsWith("http://") || href.startsWith("https://"))) {
      var a = document.createElement("a");
      a.setAttribute("href", href);
      a.textContent = text;
      return a;
    }
    return document.createTextNode(text);
  }

  // The brokers and the two columns as the page's template writes them (network_page.html).
  function fillPaths(notice, data) {
    if (data.error) {
      notice.setAttribute("role", "alert");
      notice.textContent = "Betweenness and harmonic closeness could not be computed (" + data.error + ").";
      return;
    }
    Array.prototype.forEach.call(document.querySelectorAll("#metrics tbody tr[data-iri]"), function (row) {
      var values = data.nodes[row.getAttribute("data-iri")];
      if (!values) { return; }
      var cells = row.querySelectorAll("td.pending");
      [[values[0], 4], [values[1], 3]].forEach(function (pair, i) {
        if (!cells[i]) { return; }
        cells[i].setAttribute("data-value", String(pair[0]));
        cells[i].textContent = Number(pair[0]).toFixed(pair[1]);
        cells[i].classList.remove("pending");
      });
    });
    var box = document.getElementById("brokers");
    if (box) {
      box.replaceChildren();
      if (data.brokers.length) {
        var hint = document.createElement("p");
        hint.className = "hint";
        hint.append("Highest betweenness (distance = 1/weight)");
        if (data.betweenness_approximate) {
          var strong = document.createElement("strong");
          strong.textContent = "approximate";
          hint.append(", ", strong, ": " + String(data.betweenness_method).replace(/^approximate: /, ""));
        }
        hint.append(": who lies on the shortest paths between the others.");
        var list = document.createElement("ol");
        list.className = "brokers";
        data.brokers.forEach(function (broker) {
          var li = document.createElement("li");
          var value = document.createElement("span");
          value.className = "muted";
          value.textContent = Number(broker[3]).toFixed(4);
          li.append(link(broker[2], broker[1]), " ", value);
          list.appendChild(li);
        });
        box.append(hint, list);
      } else {
        var empty = document.createElement("p");
        empty.className = "empty";
        empty.textContent = "No node lies between others.";
        box.appendChild(empty);
      }
    }
    notice.textContent = "Betweenness and harmonic closeness are computed and filled in below.";
    notice.removeAttribute("data-metrics-url");
  }

  // Asks for the metrics the server computes after the drawing; it answers 503 while it takes longer than its
  // time limit, so ask again a little later.
  function loadPaths(notice, tries) {
    fetch(notice.getAttribute("data-metrics-url"), { credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 503 && tries > 0) {
          window.setTimeout(function () { loadPaths(notice, tries - 1); }, 1000);
          return null;
        }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) { if (data) { fillPaths(notice, data); } })
      .catch(function (error) {
        notice.textContent = "Betweenness and harmonic closeness could not be loaded (" + String(error && error.message || error)
          + "); reload the page to try again.";
      });
  }

  function setUpDetails(root) {
    Array.prototype.forEach.call(root.querySelectorAll("table.sortable"), makeSortable);
    var notice = root.querySelector("#paths-pending[data-metrics-url]");
    if (notice) { loadPaths(notice, 30); }
  }

  // A page sent while its view was being built holds the drawing's frame and a notice: once the drawing is
  // drawn (the frame says so) ask for the whole page and take its summary and details (the frame stays).
  function loadDetails(notice) {
    var asked = false;
    function ask(tries) {
      asked = true;
      fetch(notice.getAttribute("data-page-url"), { credentials: "same-origin", headers: { "X-Network-Part": "details" } })
        .then(function (response) {
          if (response.status === 503 && tries > 0) {
            window.setTimeout(function () { ask(tries - 1); }, 1000);
            return null;
          }
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.text();
        })
        .then(function (html) {
          if (html === null) { return; }
          var page = new DOMParser().parseFromString(html, "text/html");
          ["view-summary", "view-details"].forEach(function (id) {
            var fresh = page.getElementById(id), old = document.getElementById(id);
            if (fresh && old) { old.replaceWith(document.importNode(fresh, true)); }
          });
          setUpDetails(document.getElementById("view-details"));
        })
        .catch(function (error) {
          notice.textContent = "The view's details could not be loaded (" + String(error && error.message || error)
            + "); reload the page to try again.";
        });
    }
    window.addEventListener("message", function (event) {
      if (event.origin === location.origin && event.data && event.data.cgDrawing && !asked) { ask(30); }
    });
    var frame = document.getElementById("network-frame");
    if (frame) {  // a frame that loaded but never says it drew (an empty view, an error): ask a little later
      frame.addEventListener("load", function () { window.setTimeout(function () { if (!asked) { ask(30); } }, 3000); });
    } else {
      ask(30);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form.network-filters"), dropEmptyFields);
    var building = document.querySelector("#view-pending[data-page-url]");
    if (building) {
      loadDetails(building);
    } else {
      setUpDetails(document);
    }
  });
})();
