// Filter the upcoming-fixtures table by league (the page works without this script).
(function () {
  "use strict";
  var select = document.getElementById("league-filter");
  var table = document.getElementById("fixtures");
  if (!select || !table) {
    return;
  }
  select.addEventListener("change", function () {
    var league = select.value;
    var rows = table.tBodies[0].rows;
    for (var i = 0; i < rows.length; i += 1) {
      rows[i].hidden = league !== "" && rows[i].getAttribute("data-league") !== league;
    }
  });
})();
