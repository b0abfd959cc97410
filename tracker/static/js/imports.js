// Import pages: an upload progress bar, then polling while the server reads the file.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (form && window.XMLHttpRequest && window.FormData) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var bar = document.getElementById("upload-progress-bar");
      document.getElementById("upload-progress").classList.remove("d-none");
      var request = new XMLHttpRequest();
      request.open("POST", form.action || window.location.href);
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { bar.style.width = Math.round(100 * e.loaded / e.total) + "%"; }
      });
      request.addEventListener("load", function () {
        if (request.responseURL && request.responseURL !== window.location.href) {
          window.location.assign(request.responseURL);
        } else {
          document.open(); document.write(request.responseText); document.close();
        }
      });
      request.send(new FormData(form));
    });
  }

  var status = document.getElementById("import-status");
  // Polled while a job reads or imports the file; the page reloads when the status changes.
  if (status && status.getAttribute("data-in-progress") === "true") {
    var bar2 = document.getElementById("read-progress-bar");
    var rows = document.getElementById("rows-read");
    var show = function (percent) { if (bar2) { bar2.style.width = percent + "%"; } };
    show(bar2 ? bar2.getAttribute("data-percent") : 0);
    var poll = function () {
      fetch(status.getAttribute("data-status-url"), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          show(data.percent);
          if (rows) { rows.textContent = data.rows_read; }
          if (data.status !== status.getAttribute("data-status")) { window.location.reload(); } else { window.setTimeout(poll, 700); }
        })
        .catch(function () { window.setTimeout(poll, 2000); });
    };
    window.setTimeout(poll, 500);
  }
})();
