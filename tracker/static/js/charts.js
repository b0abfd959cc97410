// Bar charts drawn from a data-chart attribute ({"years": [...], "values": [...]}); no inline script.
(function () {
  "use strict";
  if (!window.echarts) { return; }
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var data = JSON.parse(element.getAttribute("data-chart"));
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption({
      grid: { left: 48, right: 16, top: 16, bottom: 32 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.years },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", name: element.getAttribute("data-label") || "", data: data.values,
                 itemStyle: { color: "#0d6efd" } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
