/* Statistics dashboard: period fields, sortable ranking, the trend chart (Chart.js, vendored). */
(function () {
  "use strict";

  // Show only the inputs of the chosen kind of period; disabled inputs stay out of the URL.
  var form = document.getElementById("controls");
  var kind = document.getElementById("f-period");
  function showPeriodFields() {
    form.querySelectorAll("[data-period]").forEach(function (field) {
      var shown = field.getAttribute("data-period").split(" ").indexOf(kind.value) >= 0;
      field.hidden = !shown;
      field.querySelectorAll("input, select").forEach(function (input) { input.disabled = !shown; });
    });
  }
  if (form && kind) {
    kind.addEventListener("change", showPeriodFields);
    showPeriodFields();
    // Empty filters are left out, so the address stays the one the links build.
    form.addEventListener("submit", function () {
      form.querySelectorAll("select, input").forEach(function (input) {
        if (!input.value) { input.disabled = true; }
      });
    });
  }

  // Ranking: click a column header to sort (numbers descending first, names ascending first).
  var table = document.getElementById("ranking");
  if (table) {
    var body = table.tBodies[0];
    table.querySelectorAll("thead th button").forEach(function (button) {
      button.addEventListener("click", function () {
        var th = button.parentElement;
        var index = Array.prototype.indexOf.call(th.parentElement.children, th);
        var numeric = button.getAttribute("data-sort") === "number";
        var current = th.getAttribute("aria-sort");
        var descending = current ? current === "ascending" : numeric;
        table.querySelectorAll("thead th").forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[index].getAttribute("data-value"), y = b.cells[index].getAttribute("data-value");
          var order;
          if (numeric) {
            // Rows without a figure ("–") go last whichever the direction.
            if (x === "" || y === "") { return (x === "") - (y === ""); }
            order = parseFloat(x) - parseFloat(y);
          } else {
            order = x.localeCompare(y, "vi");  // names: Vietnamese order in either language
          }
          return descending ? -order : order;
        });
        rows.forEach(function (row, i) { row.cells[0].textContent = i + 1; body.appendChild(row); });
      });
    });
  }

  // Trend chart: online share and on-time rate per month, with the targets as dashed lines.
  var dataNode = document.getElementById("dashboard-data");
  var canvas = document.getElementById("trend-chart");
  if (!dataNode || !canvas || typeof window.Chart === "undefined") { return; }
  var data = JSON.parse(dataNode.textContent);
  var text = data.text;  // the series' names and number marks, in the page's language
  function percent(value) { return value === null ? null : Math.round(value * 1000) / 10; }
  function shown(value) { return String(value).replace(".", text.decimal_mark) + text.percent_sign; }
  var labels = data.trend.map(function (p) { return p.month; });
  var datasets = [
    { label: text.online_share, data: data.trend.map(function (p) { return percent(p.online_share); }),
      borderColor: "#1f5fa8", backgroundColor: "#1f5fa8", tension: 0.2, spanGaps: true },
    { label: text.on_time_rate, data: data.trend.map(function (p) { return percent(p.on_time_rate); }),
      borderColor: "#17803d", backgroundColor: "#17803d", tension: 0.2, spanGaps: true }
  ];
  var targets = [["online_share", text.online_share_target, "#1f5fa8"],
                 ["on_time_rate", text.on_time_rate_target, "#17803d"]];
  targets.forEach(function (t) {
    var target = data.targets[t[0]];
    if (target === undefined || target === null) { return; }
    datasets.push({ label: t[1], data: labels.map(function () { return percent(target); }), borderColor: t[2],
                    borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, fill: false });
  });
  new window.Chart(canvas, {
    type: "line",
    data: { labels: labels, datasets: datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: { y: { min: 0, max: 100, ticks: { callback: shown } } },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 14 } },
        tooltip: { callbacks: { label: function (c) {
          return c.dataset.label + ": " + (c.parsed.y === null ? "–" : shown(c.parsed.y));
        } } }
      }
    }
  });
}());
