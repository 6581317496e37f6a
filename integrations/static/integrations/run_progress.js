// Live progress of a sync run: poll the run's JSON every 2 s until its status is final,
// then reload once so the chunk table shows how every chunk ended.
(function () {
  "use strict";
  var panel = document.getElementById("run-progress-panel");
  if (!panel || panel.dataset.final === "1") {
    return;
  }
  var INTERVAL = 2000;
  var fields = {
    "run-processed": "processed",
    "run-total": "total",
    "run-percent": "percent",
    "run-changed": "changed",
    "run-failed": "failed",
    "run-chunks-done": "chunks_done",
    "run-chunks-total": "chunks_total"
  };

  function setText(id, value) {
    var element = document.getElementById(id);
    if (element) {
      element.textContent = value === "" || value === null ? "\u2014" : value;
    }
  }

  function show(data) {
    Object.keys(fields).forEach(function (id) { setText(id, data[fields[id]]); });
    setText("run-status", data.status_label);
    document.getElementById("run-status").dataset.status = data.status;
    setText("run-rate", data.rate_label);
    setText("run-eta", data.eta_label);
    document.getElementById("run-progress-bar").value = data.percent;
  }

  function poll() {
    fetch(panel.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (data.final) {
          panel.dataset.final = "1";
          window.location.reload();
        } else {
          window.setTimeout(poll, INTERVAL);
        }
      })
      .catch(function () { window.setTimeout(poll, INTERVAL * 2); });
  }

  window.setTimeout(poll, INTERVAL);
})();
