// The member chart of an organisation's profile card: one group of bars per source and year, one bar per
// member category; the figures come from the JSON block the page carries (the table beside it shows the same).
(function () {
  var data = document.getElementById("member-data");
  var canvas = document.getElementById("member-chart");
  if (!data || !canvas || typeof Chart === "undefined") { return; }
  var figures = JSON.parse(data.textContent);
  var colours = ["#0b5cad", "#e69f00", "#009e73", "#cc79a7"];
  var labels = figures.bars.map(function (bar) { return (bar.approximate ? "~ " : "") + bar.source + " (" + bar.year + ")"; });
  var datasets = figures.categories.map(function (category, i) {
    return {
      label: category,
      data: figures.bars.map(function (bar) { return bar.values[i]; }),
      backgroundColor: colours[i % colours.length]
    };
  });
  new Chart(canvas, {
    type: "bar",
    data: { labels: labels, datasets: datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { autoSkip: false } } },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            title: function (items) { return items.length ? "Source: " + items[0].label : ""; },
            label: function (item) {
              return item.dataset.label + ": " + (item.raw === null ? "not stated" : item.raw.toLocaleString("en"));
            }
          }
        }
      }
    }
  });
  window.memberChartReady = true;
})();
