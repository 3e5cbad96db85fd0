/* hue06 quality: the progress page polls its job; the results page draws its charts with the
   Plotly bundle served by the app itself. Everything shown here is also in the page's tables. */
(function () {
  "use strict";
  var job = document.getElementById("job");
  if (job && job.dataset.job) {
    var bar = document.getElementById("job-progress");
    var stage = document.getElementById("job-stage");
    var names = {};
    var span = stage ? stage.querySelector("[data-stage-names]") : null;
    if (span) { try { names = JSON.parse(span.getAttribute("data-stage-names")); } catch (e) { names = {}; } }
    var fmt = function (n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "."); };
    var poll = function () {
      fetch("/api/quality/jobs/" + encodeURIComponent(job.dataset.job), {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (bar) { bar.value = s.percent; bar.textContent = s.percent + "%"; }
          if (s.run_id) { stage.textContent = job.dataset.doneText; window.location = "/quality/runs/" + s.run_id; return; }
          if (s.error) { window.location.reload(); return; }
          if (stage) {
            stage.textContent = (names[s.stage] || s.stage) + (s.total ? " · " + fmt(s.done) + "/" + fmt(s.total) : (s.done ? " · " + fmt(s.done) : ""));
          }
          window.setTimeout(poll, 1000);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    };
    window.setTimeout(poll, 500);
  }
  var data = document.getElementById("chart-data");
  if (data && window.Plotly) {
    var c = JSON.parse(data.textContent);
    var layout = {margin: {l: 220, r: 10, t: 10, b: 30}, height: 320, font: {family: "Noto Sans, Arial"}};
    var statusEl = document.getElementById("chart-status");
    if (statusEl) {
      Plotly.newPlot(statusEl, [{type: "bar", orientation: "h", x: c.counts.slice().reverse(), y: c.statuses.slice().reverse(), marker: {color: "#1d4f91"}}], layout, {displaylogo: false, responsive: true});
    }
    var communeEl = document.getElementById("chart-communes");
    if (communeEl && c.communes.length) {
      var traces = Object.keys(c.by_status).map(function (name) { return {type: "bar", name: name, x: c.communes, y: c.by_status[name]}; });
      Plotly.newPlot(communeEl, traces, {barmode: "stack", height: 420, margin: {l: 50, r: 10, t: 10, b: 140}, legend: {orientation: "h"}}, {displaylogo: false, responsive: true});
    }
  }
})();
