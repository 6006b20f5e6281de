// A named query's result as grouped bars (its '#+ chart:' line): one group per row, a bar per number column;
// a figure a source does not give stays a gap, and the tooltip names the column (that is, the source).
(function () {
  var data = document.getElementById("chart-data");
  var canvas = document.getElementById("result-chart");
  if (!data || !canvas || typeof Chart === "undefined") { return; }
  var figures = JSON.parse(data.textContent);
  var colours = ["#0b5cad", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00"];
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: figures.labels,
      datasets: figures.series.map(function (series, i) {
        return { label: series.label, data: series.values, backgroundColor: colours[i % colours.length] };
      })
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      scales: { y: { beginAtZero: true }, x: { ticks: { autoSkip: false, maxRotation: 60 } } },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12 } },
        tooltip: { callbacks: { label: function (item) {
          return item.dataset.label + ": " + (item.raw === null ? "not stated" : item.raw.toLocaleString("en"));
        } } }
      }
    }
  });
  window.resultChartReady = true;
})();
