// The medicine order page, live: while the order is on its way, ask progress.json every few seconds and update the
// steps table in place. When the order's status moves on, reload the page (references, cost and actions change),
// unless the user is typing into a form of the page. No inline script: the CSP allows only files from this site.
(function () {
  "use strict";
  var section = document.querySelector("[data-progress-url]");
  if (!section || !window.fetch) { return; }
  var url = section.getAttribute("data-progress-url");
  var shownStatus = section.getAttribute("data-status");
  var note = document.getElementById("live-note");
  // The page's sentences, in its language (the template puts them in data attributes).
  var statusChanged = section.getAttribute("data-said-status-changed") ||
    "The order is now STATUS: reload the page to see it.";
  var stopped = section.getAttribute("data-said-stopped") || "Live updates stopped: reload the page.";
  var INTERVAL = 3000;
  var failures = 0;

  function say(text) {
    if (note) { note.textContent = text; }
  }

  function typing() {
    var active = document.activeElement;
    if (active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) { return true; }
    var fields = document.querySelectorAll("form input[type=text], form textarea");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value) { return true; }
    }
    return false;
  }

  function setField(row, name, text) {
    var cell = row.querySelector('[data-field="' + name + '"]');
    if (cell && cell.textContent !== text) { cell.textContent = text; }
  }

  function update(data) {
    if (data.status !== shownStatus) {
      if (typing()) {
        say(statusChanged.replace("STATUS", data.status_label.toLowerCase()));
        return false;
      }
      window.location.reload();
      return false;
    }
    for (var i = 0; i < data.steps.length; i++) {
      var step = data.steps[i];
      var row = section.querySelector('tr[data-step="' + step.step + '"]');
      if (!row) { window.location.reload(); return false; }
      var state = row.querySelector('[data-field="state"]');
      if (state) {
        state.textContent = step.state_label;
        state.className = "state step-state-" + step.state;
      }
      row.className = step.state === "failed" ? "row-warn" : "";
      setField(row, "attempts", String(step.attempts));
      setField(row, "progress", step.progress || "");
      setField(row, "last_error", step.last_error || "");
      setField(row, "started", step.started);
      setField(row, "finished", step.finished);
    }
    return !data.finished;
  }

  function poll() {
    if (document.hidden) { window.setTimeout(poll, INTERVAL); return; }
    window.fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        if (update(data)) { window.setTimeout(poll, INTERVAL); }
      })
      .catch(function () {
        // Signed out, the server restarting, the network gone: try a few times, then leave it to the user.
        failures += 1;
        if (failures < 5) {
          window.setTimeout(poll, INTERVAL * failures);
        } else {
          say(stopped);
        }
      });
  }

  window.setTimeout(poll, INTERVAL);
})();
