// dialtone back office: draws a bar chart above each table marked
// data-chart, from the table itself (the table stays the figure for screen
// readers and without JavaScript). uPlot 1.6.31 (MIT, static/uPlot.LICENSE).
(function () {
  "use strict";
  var colors = ["#1e3a8a", "#b45309", "#047857", "#b91c1c", "#6d28d9", "#0e7490", "#4d7c0f"];
  function draw(table) {
    var box = document.querySelector('[data-chart-for="' + table.id + '"]');
    if (!box || typeof uPlot === "undefined") return;
    var heads = Array.prototype.map.call(table.tHead.rows[0].cells, function (c) { return c.textContent; });
    var rows = Array.prototype.filter.call(table.tBodies[0].rows, function (r) { return r.querySelector("td[data-v]"); });
    if (!rows.length) return;
    var labels = rows.map(function (r) { return r.cells[0].textContent; });
    var xs = labels.map(function (_, i) { return i; });
    var data = [xs];
    var series = [{}];
    for (var c = 1; c < heads.length; c++) {
      if (heads[c] === "Total") continue;
      data.push(rows.map(function (r) { return parseFloat(r.cells[c].getAttribute("data-v")) || 0; }));
      var col = colors[(series.length - 1) % colors.length];
      series.push({ label: heads[c], stroke: col, fill: col + "33", width: 2, paths: uPlot.paths.bars({ size: [0.6, 40] }) });
    }
    var width = Math.max(280, Math.min(box.clientWidth || 600, 900));
    new uPlot({
      width: width, height: 220, series: series,
      scales: { x: { time: false, range: [-0.5, xs.length - 0.5] } },
      axes: [{ values: function (_, ticks) { return ticks.map(function (t) { return labels[t] || ""; }); } }, {}],
      legend: { show: true }
    }, data, box);
  }
  function all() { Array.prototype.forEach.call(document.querySelectorAll("table[data-chart]"), draw); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all); else all();
})();
