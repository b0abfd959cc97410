// The visit form: until the officer picks a campaign himself, the campaign follows the visit's date
// (the newest campaign of that year whose roster holds the firm, as the server picks it), and the note
// under it says when there is none.
(function () {
  "use strict";
  var group = document.querySelector("[data-follows-date]");
  if (!group) {
    return;
  }
  var date = document.getElementById(group.getAttribute("data-follows-date"));
  var select = group.querySelector("select");
  var note = document.getElementById("campaign-note");
  var chosenByHand = false;
  select.addEventListener("change", function () {
    chosenByHand = true;
    note.hidden = select.value !== "0" || !date.value;
  });
  date.addEventListener("change", function () {
    if (chosenByHand || !date.value) {
      return;
    }
    var year = date.value.slice(0, 4);
    var match = select.querySelector('option[data-roster][data-year="' + year + '"]');
    select.value = match ? match.value : "0";
    note.textContent = note.getAttribute("data-template").replace("{year}", year);
    note.hidden = Boolean(match);
  });
})();
