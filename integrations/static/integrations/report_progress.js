// Progress of a discrepancy report: poll its JSON every 2 s while it runs, then reload once
// so the page shows what the report found.
(function () {
  "use strict";
  var panel = document.getElementById("report-progress-panel");
  if (!panel || panel.dataset.final === "1") {
    return;
  }
  var fields = {
    "report-status": "status_label",
    "report-checked": "checked",
    "report-total": "total",
    "report-percent": "percent"
  };

  function show(data) {
    Object.keys(fields).forEach(function (id) {
      var element = document.getElementById(id);
      if (element) {
        element.textContent = String(data[fields[id]]);
      }
    });
    var bar = document.getElementById("report-progress-bar");
    if (bar) {
      bar.value = data.percent;
    }
  }

  function poll() {
    fetch(panel.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) {
          window.setTimeout(poll, 2000);
        } else if (data.final) {
          window.location.reload();
        } else {
          show(data);
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }

  window.setTimeout(poll, 2000);
})();
