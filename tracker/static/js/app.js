// Behaviour shared by every page. No inline scripts: the Content-Security-Policy forbids them.
(function () {
  "use strict";
  // Forms marked data-confirm ask before they submit (deactivations and the like).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  // A button marked data-copy="#field" copies that field's text (an invitation link to pass on).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) {
      return;
    }
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) {
      return;
    }
    source.select();
    var done = function () { button.textContent = button.getAttribute("data-copied") || button.textContent; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.value).then(done);
    } else if (document.execCommand("copy")) {
      done();
    }
  });
  // A link or button marked data-print opens the browser's print dialog (the sign-in sheet).
  document.addEventListener("click", function (event) {
    var trigger = event.target.closest && event.target.closest("[data-print]");
    if (trigger) {
      event.preventDefault();
      window.print();
    }
  });
})();
