// Live progress of a sync run: poll the run's JSON every 2 s until its status is final,
// updating the panel and every chunk row in place (the page shows each live value once),
// then reload once so the rest of the page (finish time, error) shows how the run ended.
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
    "run-chunks-total": "chunks_total",
    "run-requests": "requests",
    "run-batch-size": "batch_size",
    "run-started-at": "started_at",
    "run-rate": "rate_label",
    "run-eta": "eta_label",
    "run-status": "status_label"
  };

  function text(value) {
    return value === "" || value === null || value === undefined ? "\u2014" : String(value);
  }

  function setText(element, value) {
    if (element && element.textContent !== text(value)) {
      element.textContent = text(value);
    }
  }

  function showChunk(chunk) {
    var row = document.querySelector('#run-chunks tr[data-chunk="' + chunk.index + '"]');
    if (!row) {
      return;
    }
    row.dataset.status = chunk.status;
    var display = chunk.display || {};
    row.querySelectorAll("td[data-field]").forEach(function (cell) {
      var key = cell.dataset.field;
      setText(cell, key in display ? display[key] : chunk[key]);
    });
  }

  function show(data) {
    var display = data.display || {};
    Object.keys(fields).forEach(function (id) {
      var key = fields[id];
      // Counts come formatted as the page shows them ("3 378"); others as they are.
      setText(document.getElementById(id), key in display ? display[key] : data[key]);
    });
    document.getElementById("run-status").dataset.status = data.status;
    document.getElementById("run-progress-bar").value = data.percent;
    (data.chunks || []).forEach(showChunk);
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
