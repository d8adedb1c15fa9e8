/* The results dashboard's charts (Chart.js, served from static/vendor/chartjs): data from the
   page's json_script tag; each chart has the same figures in the table beside it. */
(function () {
  "use strict";
  var source = document.getElementById("results-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var labels = data.labels;
  var blue = "#0017c1", green = "#197a4b", orange = "#c16800", gray = "#626264";
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.animation = false;

  var months = document.getElementById("chart-months");
  if (months) {
    new Chart(months, {
      data: {
        labels: data.months.labels,
        datasets: [
          { type: "bar", label: labels.sends, data: data.months.sends, backgroundColor: gray, yAxisID: "count" },
          { type: "line", label: labels.open_rate, data: data.months.open_rate, borderColor: blue, backgroundColor: blue, yAxisID: "rate", spanGaps: true },
          { type: "line", label: labels.click_rate, data: data.months.click_rate, borderColor: orange, backgroundColor: orange, yAxisID: "rate", spanGaps: true, borderDash: [6, 4] }
        ]
      },
      options: {
        maintainAspectRatio: false,
        scales: {
          count: { position: "left", beginAtZero: true, ticks: { precision: 0 } },
          rate: { position: "right", beginAtZero: true, suggestedMax: 100, grid: { drawOnChartArea: false } }
        }
      }
    });
  }
  var friends = document.getElementById("chart-friends");
  if (friends) {
    new Chart(friends, {
      type: "line",
      data: {
        labels: data.friends.labels,
        datasets: [
          { label: labels.followers, data: data.friends.followers, borderColor: blue, backgroundColor: blue, pointRadius: 0 },
          { label: labels.blocks, data: data.friends.blocks, borderColor: green, backgroundColor: green, pointRadius: 0, borderDash: [6, 4] }
        ]
      },
      options: { maintainAspectRatio: false, scales: { y: { beginAtZero: false } } }
    });
  }
})();
