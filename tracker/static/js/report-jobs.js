// An export job's page: polls its status while a worker writes the file, reloads when it is done or failed.
(function () {
  "use strict";
  var status = document.getElementById("export-status");
  if (!status || status.getAttribute("data-in-progress") !== "true" || !window.fetch) { return; }
  var bar = document.getElementById("export-progress");
  var rows = document.getElementById("export-rows");
  var total = document.getElementById("export-total");
  var poll = function () {
    fetch(status.getAttribute("data-status-url"), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (bar) { bar.value = data.percent; bar.textContent = data.percent + "%"; }
        if (rows) { rows.textContent = data.rows_written; }
        if (total && data.rows_total !== null) { total.textContent = data.rows_total; }
        if (!data.in_progress || data.status !== status.getAttribute("data-status")) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  };
  window.setTimeout(poll, 700);
})();
