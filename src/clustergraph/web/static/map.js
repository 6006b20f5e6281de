// The map of the clusters' sites: Lombardy's NUTS 3 regions (the GeoJSON shipped with the site) shaded by how
// many organisations have a site there, and one point per organisation and region, labelled with its acronym.
// Drawn with Chart.js and chartjs-chart-geo; the page's table holds the same facts. Sets window.siteMapReady.
(function () {
  var block = document.getElementById("map-data");
  var canvas = document.getElementById("site-map");
  if (!block || !canvas || typeof Chart === "undefined" || typeof ChartGeo === "undefined") { return; }
  var data = JSON.parse(block.textContent);
  var phone = function () { return canvas.clientWidth < 560; };
  var crowded = {};
  Object.keys(data.regions).forEach(function (code) { crowded[code] = data.regions[code].count > 3; });

  // Region names at their centres, and each point's acronym beside it.
  var labels = {
    id: "siteLabels",
    afterDatasetsDraw: function (chart) {
      var projection = chart.scales.projection;
      var ctx = chart.ctx;
      var small = phone();
      ctx.save();
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.font = (small ? "10px" : "12px") + " sans-serif";
      ctx.fillStyle = "#5b6670";
      chart.data.datasets[0].data.forEach(function (d) {
        if (d.count > 2) { return; }  // crowded regions: the points' labels are enough
        var xy = projection.projection(d.feature.properties.centroid);
        if (xy) { ctx.fillText(d.regionName, xy[0], xy[1] + (d.count ? (small ? 14 : 18) : 0)); }
      });
      ctx.font = "bold " + (small ? "10px" : "12px") + " sans-serif";
      ctx.fillStyle = "#1f2933";
      var gap = small ? 9 : 11;
      chart.getDatasetMeta(1).data.forEach(function (element, i) {
        var p = chart.data.datasets[1].data[i].point;
        if (small && crowded[p.region]) { return; }  // on a phone a crowded region's labels would overlap: tap
        // Outward from the region's centre: points left of it are labelled on their left.
        var centre = projection.projection(p.centre);
        var left = centre && element.x < centre[0] - 1;
        ctx.textAlign = left ? "right" : "left";
        ctx.fillText(p.acronym, element.x + (left ? -gap : gap), element.y);
      });
      ctx.restore();
    }
  };

  fetch(data.boundaries).then(function (response) { return response.json(); }).then(function (geo) {
    var features = geo.features;
    var regions = features.map(function (f) {
      var region = data.regions[f.id] || { label: f.properties.name, count: 0 };
      return { feature: f, value: region.count, count: region.count, regionName: region.label };
    });
    var most = Math.max.apply(null, regions.map(function (r) { return r.count; }).concat([1]));
    var shades = ["#eef1f4", "#d3e3f3", "#a9c8e8", "#7fadd9"];
    var points = data.points.map(function (p) {
      return { longitude: p.longitude, latitude: p.latitude, value: 1, point: p };
    });
    var chart = new Chart(canvas, {
      type: "choropleth",
      data: {
        labels: regions.map(function (r) { return r.regionName; }),
        datasets: [
          { type: "choropleth", label: "NUTS 3 regions", outline: features, data: regions, order: 2,
            borderColor: "#ffffff", borderWidth: 1.5 },
          { type: "bubbleMap", label: "Organisations", outline: features, data: points, order: 1,
            backgroundColor: points.map(function (d) { return d.point.headquarters ? "#0b5cad" : "#e69f00"; }),
            borderColor: "#ffffff", borderWidth: 1.5, radius: function () { return phone() ? 5 : 7; },
            hoverRadius: function () { return phone() ? 7 : 9; }, hitRadius: 4 }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: function (items) {
                if (!items.length) { return ""; }
                var raw = items[0].raw;
                return raw.point ? raw.point.name + (raw.point.acronym !== raw.point.name ? " (" + raw.point.acronym + ")" : "")
                                 : raw.regionName + " (" + raw.feature.id + ")";
              },
              label: function (item) {
                var raw = item.raw;
                if (!raw.point) {
                  return raw.count.toLocaleString("en") + (raw.count === 1 ? " organisation" : " organisations") + " with a site";
                }
                return raw.point.sites.concat([raw.point.regionLabel + " (NUTS 3 " + raw.point.region + ")"]);
              }
            }
          }
        },
        scales: {
          projection: { axis: "x", projection: "mercator" },
          color: {
            axis: "x", display: false,
            // v is count / most: back to the count, then a shade per count (0, 1, 2, 3 or more).
            interpolate: function (v) { return shades[Math.min(3, Math.round(v * most))]; },
            missing: "#eef1f4"
          },
          size: { axis: "x", type: "size", display: false }
        },
        onClick: function (event, elements, chart) {
          var hit = elements.filter(function (e) { return e.datasetIndex === 1; })[0];
          if (hit) { window.location.href = chart.data.datasets[1].data[hit.index].point.href; }
        }
      },
      plugins: [labels]
    });
    window.siteMap = chart;
    window.siteMapReady = true;
  });
})();
