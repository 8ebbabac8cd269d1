// Time-series line charts drawn by uPlot (served by modgate at dashboard/vendor/ and loaded as a
// classic script before the modules, so it is the global uPlot). x = time, one or more series with
// gaps for empty buckets; a lone value between gaps is drawn as a dot. One uPlot instance per host
// element, resized with it; data-points says how many non-empty values it shows (tests and screen
// readers get the numbers from the summary text).

const HEIGHT = 170;
const charts = new WeakMap(); // host element → { plot, opts }

function css(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

function clockLabel(seconds) {
  const d = new Date(seconds * 1000);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** Indices of values with no neighbour on either side: a line cannot show them, a dot does. */
function loneIndices(u, seriesIdx) {
  const values = u.data[seriesIdx];
  const lone = [];
  for (let i = 0; i < values.length; i++) {
    if (values[i] != null && values[i - 1] == null && values[i + 1] == null) lone.push(i);
  }
  return lone;
}

const observer = typeof ResizeObserver === 'function'
  ? new ResizeObserver((entries) => {
      for (const e of entries) {
        const c = charts.get(e.target);
        const width = e.target.clientWidth;
        if (c && width > 0 && width !== c.plot.width) c.plot.setSize({ width, height: HEIGHT });
      }
    })
  : undefined;

function create(host, opts) {
  const UPlot = globalThis.uPlot;
  if (typeof UPlot !== 'function') throw new Error('the chart library (dashboard/vendor/uPlot.iife.min.js) did not load');
  const chart = { plot: undefined, opts };
  const axis = {
    stroke: css('--muted', '#555'),
    font: '11px system-ui, sans-serif',
    grid: { stroke: css('--grid', '#e3e3e3'), width: 1 },
    ticks: { show: false },
  };
  chart.plot = new UPlot(
    {
      width: host.clientWidth || 300,
      height: HEIGHT,
      legend: { show: false },
      cursor: { show: false },
      select: { show: false },
      scales: {
        x: { time: true, range: () => [chart.opts.xMin / 1000, chart.opts.xMax / 1000] },
        y: { range: (_u, _min, max) => (chart.opts.yMax !== undefined ? [0, chart.opts.yMax] : UPlot.rangeNum(0, max > 0 ? max : 1, 0.1, true)) },
      },
      axes: [
        { ...axis, size: 26, space: 60, values: (_u, splits) => splits.map(clockLabel) },
        { ...axis, size: 48, space: 24, values: (_u, splits) => splits.map((v) => chart.opts.yFormat(v)) },
      ],
      series: [
        {},
        ...opts.series.map((ser) => ({
          stroke: ser.color,
          width: 1.75,
          // A bucket with no requests is null: the line stops there rather than bridging the gap.
          spanGaps: false,
          points: { show: false, filter: loneIndices, size: 7, width: 0, fill: ser.color },
        })),
      ],
    },
    [[], ...opts.series.map(() => [])],
    host,
  );
  charts.set(host, chart);
  observer?.observe(host);
  return chart;
}

/**
 * Shows series over times (unix ms) in host, creating its uPlot chart on the first call.
 * opts: { times, series: [{ values, color }], xMin, xMax, yMax?, yFormat(v) }. Values may be null
 * (no data in that bucket). The number and colours of series are fixed by the first call.
 */
export function drawLineChart(host, opts) {
  const chart = charts.get(host) ?? create(host, opts);
  chart.opts = opts;
  chart.plot.setData([opts.times.map((t) => t / 1000), ...opts.series.map((ser) => ser.values)]);
  const points = opts.series.reduce((n, ser) => n + ser.values.filter((v) => typeof v === 'number' && Number.isFinite(v)).length, 0);
  host.dataset.points = String(points);
}
