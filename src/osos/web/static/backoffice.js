// Back office: a queued "read now" polls its job until it ends, then reloads the comm log;
// deadline countdowns tick down each minute. (No inline script: the CSP allows 'self' only.)
(function () {
  "use strict";
  var progress = document.querySelector("[data-read-job]");
  if (progress) {
    var url = progress.getAttribute("data-read-job");
    var poll = function () {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (s) {
          var text = s.label + " (" + s.attempts + "/" + s.max_attempts + ")";
          if (s.last_error) { text += " — " + s.last_error; }
          progress.textContent = text;
          progress.setAttribute("data-state", s.state);
          if (s.finished) {
            progress.classList.add(s.state === "done" ? "ok" : "error");
            var log = document.querySelector("[data-testid=comm-log]");
            if (log) {
              fetch(window.location.pathname, { credentials: "same-origin" })
                .then(function (r) { return r.text(); })
                .then(function (html) {
                  var doc = new DOMParser().parseFromString(html, "text/html");
                  var fresh = doc.querySelector("[data-testid=comm-log]");
                  if (fresh) { log.replaceWith(fresh); }
                });
            }
          } else {
            window.setTimeout(poll, 2000);
          }
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    };
    poll();
  }
  var units = { tr: ["g", "sa", "dk"], en: ["d", "h", "min"] };
  var format = function (seconds, lang) {
    var u = units[lang] || units.tr;
    var sign = seconds < 0 ? "\u2212" : "";
    var left = Math.abs(seconds);
    var days = Math.floor(left / 86400), hours = Math.floor(left % 86400 / 3600);
    var minutes = Math.floor(left % 3600 / 60);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    if (days >= 2) { return sign + days + " " + u[0] + " " + pad(hours) + " " + u[1]; }
    return sign + (days * 24 + hours) + " " + u[1] + " " + pad(minutes) + " " + u[2];
  };
  var counters = document.querySelectorAll("[data-countdown]");
  if (counters.length) {
    var started = Date.now();
    window.setInterval(function () {
      var gone = Math.floor((Date.now() - started) / 1000);
      counters.forEach(function (c) {
        var left = parseInt(c.getAttribute("data-countdown"), 10) - gone;
        c.textContent = format(left, c.getAttribute("data-lang"));
      });
    }, 60000);
  }
})();
