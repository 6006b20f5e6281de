/* Two result views for YASR that work offline, in place of the ones YASGUI would load from the network
   (its Google Charts view): a pivot table (counts or sums of one column by the values of one or two others) and
   a bar chart of the number columns, drawn with the vendored Chart.js (loaded from this server on first use).
   Every value goes into the page as text, never as HTML. */
"use strict";

(function () {
  if (!window.Yasgui) return;
  const Yasr = window.Yasgui.Yasr;
  const MAX_COLUMNS = 40, MAX_BARS = 200;

  function bindingsOf(yasr) {
    const results = yasr.results;
    if (!results || results.getError() || !results.getBindings) return null;
    const rows = results.getBindings();
    return rows && rows.length ? {vars: results.getVariables(), rows: rows} : null;
  }

  function shortName(yasr, binding) {
    if (!binding) return "(none)";
    if (binding.type !== "uri") return binding.value;
    const prefixes = typeof yasr.getPrefixes === "function" ? yasr.getPrefixes() || {} : {};
    let best = null;
    for (const [prefix, ns] of Object.entries(prefixes)) {
      if (binding.value.startsWith(ns) && (!best || ns.length > best[1].length)) best = [prefix, ns];
    }
    return best ? best[0] + ":" + binding.value.slice(best[1].length) : binding.value;
  }

  function numberOf(binding) {
    if (!binding || binding.type === "uri" || binding.type === "bnode" || binding.value.trim() === "") return null;
    const value = Number(binding.value);
    return Number.isFinite(value) ? value : null;
  }

  /** Variables bound at least once and, wherever bound, to a number. */
  function numberVars(data) {
    return data.vars.filter(v => data.rows.some(r => r[v]) && data.rows.every(r => !r[v] || numberOf(r[v]) !== null));
  }

  function element(tag, text, className) {
    const el = document.createElement(tag);
    if (text !== undefined) el.textContent = text;
    if (className) el.className = className;
    return el;
  }

  function icon(text) {
    const span = element("span", text, "cg-view-icon");
    span.setAttribute("aria-hidden", "true");
    return span;
  }

  function choice(labelText, options, selected, onChange) {
    const label = element("label", labelText + " ");
    const select = document.createElement("select");
    for (const [value, text] of options) {
      const option = element("option", text);
      option.value = value;
      option.selected = value === selected;
      select.appendChild(option);
    }
    select.addEventListener("change", () => onChange(select.value));
    label.appendChild(select);
    return label;
  }

  class PivotView {
    constructor(yasr) {
      this.yasr = yasr;
      this.priority = 8;
      this.label = "Pivot";
      this.settings = {};
    }
    canHandleResults() { return !!bindingsOf(this.yasr); }
    getIcon() { return icon("⊞"); }
    draw() {
      const data = bindingsOf(this.yasr);
      if (!data) return;
      const numbers = numberVars(data);
      const s = this.settings;
      if (!data.vars.includes(s.rows)) s.rows = data.vars.find(v => !numbers.includes(v)) || data.vars[0];
      if (s.columns !== "" && !data.vars.includes(s.columns)) s.columns = "";
      if (s.measure !== "count" && !numbers.includes(s.measure)) s.measure = "count";
      const root = element("div", undefined, "cg-pivot");
      const controls = element("div", undefined, "toolbar");
      const redraw = () => { this.yasr.resultsEl.replaceChildren(); this.draw(); };
      controls.appendChild(choice("Rows:", data.vars.map(v => [v, "?" + v]), s.rows, v => { s.rows = v; redraw(); }));
      controls.appendChild(choice("Columns:", [["", "(none)"], ...data.vars.map(v => [v, "?" + v])], s.columns,
                                  v => { s.columns = v; redraw(); }));
      controls.appendChild(choice("Value:", [["count", "number of rows"], ...numbers.map(v => [v, "sum of ?" + v])],
                                  s.measure, v => { s.measure = v; redraw(); }));
      root.appendChild(controls);
      const cells = new Map(), rowKeys = [], columnKeys = [];
      for (const row of data.rows) {
        const r = shortName(this.yasr, row[s.rows]);
        const c = s.columns ? shortName(this.yasr, row[s.columns]) : "total";
        if (!cells.has(r)) { cells.set(r, new Map()); rowKeys.push(r); }
        if (!columnKeys.includes(c)) columnKeys.push(c);
        const add = s.measure === "count" ? 1 : (numberOf(row[s.measure]) || 0);
        cells.get(r).set(c, (cells.get(r).get(c) || 0) + add);
      }
      const shown = columnKeys.slice(0, MAX_COLUMNS);
      const scroll = element("div", undefined, "scroll");
      const table = element("table", undefined, "results pivot");
      const head = table.createTHead().insertRow();
      head.appendChild(element("th", "?" + s.rows));
      for (const c of shown) head.appendChild(element("th", c));
      const body = table.createTBody();
      for (const r of rowKeys) {
        const tr = body.insertRow();
        tr.appendChild(element("th", r));
        for (const c of shown) tr.appendChild(element("td", String(cells.get(r).get(c) || ""), "number"));
      }
      scroll.appendChild(table);
      root.appendChild(scroll);
      if (columnKeys.length > shown.length) {
        root.appendChild(element("p", "Only the first " + MAX_COLUMNS + " of " + columnKeys.length + " columns are shown.", "hint"));
      }
      this.yasr.resultsEl.appendChild(root);
    }
  }

  let chartLibrary = null;
  function loadChartJs() {
    if (window.Chart) return Promise.resolve(window.Chart);
    if (!chartLibrary) {
      chartLibrary = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = "/static/vendor/chartjs/chart.umd.min.js";
        script.onload = () => resolve(window.Chart);
        script.onerror = () => reject(new Error("Chart.js could not be loaded"));
        document.head.appendChild(script);
      });
    }
    return chartLibrary;
  }

  class ChartView {
    constructor(yasr) {
      this.yasr = yasr;
      this.priority = 6;
      this.label = "Chart";
      this.chart = null;
    }
    canHandleResults() {
      const data = bindingsOf(this.yasr);
      return !!data && numberVars(data).length > 0;
    }
    getIcon() { return icon("▮"); }
    destroy() { if (this.chart) { this.chart.destroy(); this.chart = null; } }
    draw() {
      const data = bindingsOf(this.yasr);
      if (!data) return;
      const numbers = numberVars(data);
      const labelVar = data.vars.find(v => !numbers.includes(v));
      const rows = data.rows.slice(0, MAX_BARS);
      const root = element("div", undefined, "cg-chart");
      const box = element("div", undefined, "cg-chart-box");
      box.style.height = Math.max(260, Math.min(rows.length * 22 + 80, 2400)) + "px";
      const canvas = element("canvas");
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", "Bar chart of " + numbers.map(v => "?" + v).join(", ") +
                          (labelVar ? " by ?" + labelVar : ""));
      box.appendChild(canvas);
      root.appendChild(box);
      if (data.rows.length > rows.length) {
        root.appendChild(element("p", "The chart shows the first " + MAX_BARS + " of " + data.rows.length + " rows.", "hint"));
      }
      this.yasr.resultsEl.appendChild(root);
      return loadChartJs().then(Chart => {
        this.destroy();
        this.chart = new Chart(canvas, {
          type: "bar",
          data: {
            labels: rows.map((r, i) => labelVar ? shortName(this.yasr, r[labelVar]) : String(i + 1)),
            datasets: numbers.map(v => ({label: "?" + v, data: rows.map(r => numberOf(r[v]))})),
          },
          options: {indexAxis: "y", maintainAspectRatio: false, animation: false,
                    scales: {y: {ticks: {autoSkip: false}}}},
        });
        window.queryChartReady = true;
      });
    }
  }

  Yasr.registerPlugin("pivot", PivotView);
  Yasr.registerPlugin("chart", ChartView);
})();
