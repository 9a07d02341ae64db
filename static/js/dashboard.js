// The dashboard's trend charts (Chart.js, served from static/vendor). Each series has its own point shape
// and line dash as well as its colour, so the charts read without colour.
(function () {
  "use strict";
  const source = document.getElementById("trend-data");
  if (!source || !window.Chart) return;
  const rows = JSON.parse(source.textContent);
  const days = rows.map((row) => row.day.slice(5));
  const percent = (value) => (value === null ? null : Math.round(value * 1000) / 10);
  // Straight segments, and gaps left as gaps: a day without carts has no rate, and no trend is drawn across it.
  const series = (label, data, color, pointStyle, dash, order, radius) => ({
    label, data, borderColor: color, backgroundColor: color, pointStyle, pointRadius: radius || 3, borderDash: dash,
    borderWidth: 2, spanGaps: false, tension: 0, order: order || 0,
  });
  const options = (yTitle, integers) => ({
    responsive: true, maintainAspectRatio: false, animation: false,
    interaction: { mode: "index", intersect: false },
    plugins: { legend: { labels: { usePointStyle: true } } },
    scales: {
      y: { beginAtZero: true, title: { display: true, text: yTitle }, ticks: integers ? { precision: 0 } : {} },
      x: { ticks: { maxTicksLimit: 12 } },
    },
  });
  const draw = (id, datasets, yTitle, integers) => {
    const canvas = document.getElementById(id);
    if (canvas) new window.Chart(canvas, { type: "line", data: { labels: days, datasets }, options: options(yTitle, integers) });
  };
  draw("chart-carts", [
    series("Abandoned carts", rows.map((row) => row.carts), "#1d4ed8", "circle", [], 1),
    series("Recovered", rows.map((row) => row.recovered), "#15803d", "triangle", [6, 4], 0, 5),  // drawn on top
  ], "carts per day", true);
  draw("chart-rates", [
    series("Recovery rate %", rows.map((row) => percent(row.recovery_rate)), "#15803d", "rect", []),
    series("Contacted within 5 min %", rows.map((row) => percent(row.contacted_within_5_min)), "#b45309", "crossRot", [2, 3]),
  ], "% of the day's carts");
  draw("chart-value", [
    series("Value recovered ($)", rows.map((row) => row.value), "#0f766e", "rectRot", []),
  ], "$ per day");
})();
