// The report's charts: each [data-report-chart] element names a <script type="application/json"> data island
// holding its table ({type, columns, kinds, labels, series}); the table itself is on the page beside it, so
// the figures read the same without JavaScript and on paper. No inline script (the CSP forbids it).
// Colours differ in lightness and every series has its own pattern (ECharts' decals), so a grey-scale
// print still tells the series apart.
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var PALETTE = ["#1f3b73", "#e0a030", "#5f6b76", "#8fbce6", "#2e7d4f", "#c0506e", "#b8b8b8", "#000000"];
  var SHARE = "share";

  function numeric(kind) { return kind === SHARE ? function (v) { return v === null ? null : Math.round(v * 1000) / 10; } : function (v) { return v; }; }

  function optionFor(data, width) {
    var kinds = data.kinds && data.kinds.length ? data.kinds : [];
    // Chart the value columns that share the first one's kind (counts with counts, shares with shares).
    var first = kinds[0] || "count";
    var columns = [];
    for (var i = 1; i < data.columns.length; i++) {
      if ((kinds[i - 1] || "count") === first) { columns.push(i - 1); }
    }
    var convert = numeric(first);
    var base = {
      color: PALETTE,
      aria: { enabled: true, decal: { show: true } },
      tooltip: { trigger: data.type === "pie" ? "item" : "axis" },
      animation: false
    };
    if (data.type === "pie") {
      base.legend = { bottom: 0, left: 8, right: 8 };  // plain: it wraps within the width
      base.series = [{ type: "pie", radius: ["35%", "65%"], name: data.columns[1],
        // On a phone the labels would reach past the screen: the legend and the table beside it say the same.
        label: { show: width >= 480, formatter: "{b}: {c}", width: 110, overflow: "truncate" },
        data: data.labels.map(function (label, r) { return { name: label, value: convert(data.series[r][0]) }; }) }];
      return base;
    }
    base.legend = columns.length > 1 ? { top: 0, left: 8, right: 8 } : undefined;
    base.grid = { left: 16, right: 24, top: columns.length > 1 ? 32 : 16, bottom: 16, containLabel: true };
    var horizontal = data.type === "bar" && data.labels.length > 8;
    var category = { type: "category", data: data.labels, axisLabel: { interval: 0, hideOverlap: true, width: 90, overflow: "truncate", rotate: horizontal ? 0 : (data.labels.length > 6 ? 30 : 0) } };
    var values = { type: "value", minInterval: first === "count" ? 1 : 0, axisLabel: first === SHARE ? { formatter: "{value}%" } : {} };
    base.xAxis = horizontal ? values : category;
    base.yAxis = horizontal ? Object.assign({}, category, { inverse: true, axisLabel: { width: 120, overflow: "truncate" } }) : values;

    base.series = columns.map(function (c) {
      return { type: data.type === "line" ? "line" : "bar", name: data.columns[c + 1], stack: data.type === "stack" ? "all" : undefined,
        symbolSize: 6, data: data.series.map(function (row) { return convert(row[c]); }) };
    });
    return base;
  }

  document.querySelectorAll("[data-report-chart]").forEach(function (element) {
    var island = document.getElementById(element.getAttribute("data-report-chart"));
    if (!island) { return; }
    var data = JSON.parse(island.textContent);
    if (data.type === "line" || data.labels.length > 8) { element.classList.add("report-chart-tall"); }
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption(optionFor(data, element.clientWidth));
    element.setAttribute("data-rendered", "1");
    window.addEventListener("resize", function () { chart.resize(); });
    window.addEventListener("beforeprint", function () { chart.resize(); });
  });
})();
