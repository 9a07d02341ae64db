// The dashboard's trend charts (Chart.js, served from static/vendor), weekly or daily as the page was asked for.
// Each series has its own point shape and line dash as well as its colour, so the charts read without colour;
// the rates chart draws the carts behind each point as bars, and every tooltip says how many carts a rate is of
// (a rate on three carts is not a trend).
(function () {
  "use strict";
  const source = document.getElementById("trend-data");
  if (!source || !window.Chart) return;
  const rows = JSON.parse(source.textContent);
  const weekly = (document.getElementById("trend") || {}).dataset?.by !== "day";
  const per = weekly ? "week" : "day";
  const labels = rows.map((row) => row.day.slice(5));
  const percent = (value) => (value === null ? null : Math.round(value * 1000) / 10);
  window.Chart.defaults.font.size = 13;
  // Straight segments, and gaps left as gaps: a point without carts has no rate, and no trend is drawn across it.
  const series = (label, data, color, pointStyle, dash, order, radius) => ({
    type: "line", label, data, borderColor: color, backgroundColor: color, pointStyle,
    pointRadius: radius || (weekly ? 5 : 3), borderDash: dash, borderWidth: 2, spanGaps: false, tension: 0,
    order: order || 0,
  });
  const title = (items) => {
    const row = rows[items[0].dataIndex];
    return row.last_day === row.day ? row.day : `${row.day} to ${row.last_day}`;
  };
  const behind = { "Recovery rate %": (row) => `of ${row.carts} carts`,
    "Contacted within 5 min %": (row) => `of ${row.call_first_carts} call-first carts` };
  const label = (item) => {
    const row = rows[item.dataIndex], name = item.dataset.label;
    if (!behind[name]) return `${name}: ${item.formattedValue}`;
    return item.raw === null ? `${name}: no carts` : `${name}: ${item.formattedValue}% ${behind[name](row)}`;
  };
  const options = (yTitle, integers, extra) => ({
    responsive: true, maintainAspectRatio: false, animation: false,
    interaction: { mode: "index", intersect: false },
    plugins: { legend: { labels: { usePointStyle: true } }, tooltip: { callbacks: { title, label } } },
    scales: Object.assign({
      y: { beginAtZero: true, title: { display: true, text: yTitle }, ticks: integers ? { precision: 0 } : {} },
      x: { ticks: { maxTicksLimit: weekly ? 14 : 16 } },
    }, extra || {}),
  });
  const draw = (id, datasets, yTitle, integers, extra) => {
    const canvas = document.getElementById(id);
    if (canvas) new window.Chart(canvas, { type: "line", data: { labels, datasets }, options: options(yTitle, integers, extra) });
  };
  draw("chart-rates", [
    series("Recovery rate %", rows.map((row) => percent(row.recovery_rate)), "#15803d", "rect", [], 0),
    series("Contacted within 5 min %", rows.map((row) => percent(row.contacted_within_5_min)), "#b45309", "crossRot", [2, 3], 0),
    { type: "bar", label: "Carts behind the point", data: rows.map((row) => row.carts), yAxisID: "carts",
      backgroundColor: "rgba(100, 116, 139, 0.25)", borderColor: "rgba(100, 116, 139, 0.6)", borderWidth: 1,
      order: 1 },
  ], `% of the ${per}'s carts`, false, {
    y: { beginAtZero: true, max: 100, title: { display: true, text: `% of the ${per}'s carts` } },
    carts: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, ticks: { precision: 0 },
      title: { display: true, text: "carts" } },
  });
  draw("chart-carts", [
    series("Abandoned carts", rows.map((row) => row.carts), "#1d4ed8", "circle", [], 1),
    series("Recovered", rows.map((row) => row.recovered), "#15803d", "triangle", [6, 4], 0, weekly ? 6 : 5),  // on top
  ], `carts per ${per}`, true);
  draw("chart-value", [
    series("Value recovered ($)", rows.map((row) => row.value), "#0f766e", "rectRot", []),
  ], `$ per ${per}`);
})();
