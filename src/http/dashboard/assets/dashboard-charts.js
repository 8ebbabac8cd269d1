// Time-series line charts on <canvas> (no library): x = time, one or more series with gaps for
// empty buckets. The canvas keeps its last data and redraws on resize; data-points says how many
// non-empty values it shows (tests and screen readers get the numbers from the summary text).

const PAD = { left: 48, right: 10, top: 10, bottom: 22 };
const state = new WeakMap();

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 4, 6, 8, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function clockLabel(t) {
  const d = new Date(t);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

function css(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

function draw(canvas) {
  const s = state.get(canvas);
  if (!s) return;
  const { times, series, xMin, xMax, yFormat } = s;
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  if (w === 0 || h === 0) return;
  if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const fg = css('--muted', '#555');
  const grid = css('--grid', '#e3e3e3');
  ctx.font = '11px system-ui, sans-serif';

  let dataMax = 0;
  for (const ser of series) for (const v of ser.values) if (typeof v === 'number' && v > dataMax) dataMax = v;
  const yMax = s.yMax ?? niceMax(dataMax * 1.1);
  const plotW = w - PAD.left - PAD.right;
  const plotH = h - PAD.top - PAD.bottom;
  const x = (t) => PAD.left + ((t - xMin) / (xMax - xMin || 1)) * plotW;
  const y = (v) => PAD.top + plotH - (Math.min(v, yMax) / yMax) * plotH;

  // Grid and y labels.
  ctx.strokeStyle = grid;
  ctx.fillStyle = fg;
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    const yy = Math.round(y(v)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(PAD.left, yy);
    ctx.lineTo(w - PAD.right, yy);
    ctx.stroke();
    ctx.fillText(yFormat(v), PAD.left - 6, yy);
  }
  // x labels every 15 minutes.
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const step = 15 * 60 * 1000;
  for (let t = Math.ceil(xMin / step) * step; t <= xMax; t += step) {
    const xx = Math.round(x(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(xx, PAD.top);
    ctx.lineTo(xx, PAD.top + plotH);
    ctx.stroke();
    ctx.fillText(clockLabel(t), xx, PAD.top + plotH + 5);
  }

  // Series: lines with gaps; a lone point between gaps is drawn as a dot.
  for (const ser of series) {
    ctx.strokeStyle = ser.color;
    ctx.fillStyle = ser.color;
    ctx.lineWidth = 1.75;
    ctx.lineJoin = 'round';
    let open = false;
    const dots = [];
    ctx.beginPath();
    for (let i = 0; i < times.length; i++) {
      const v = ser.values[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        open = false;
        continue;
      }
      const px = x(times[i]);
      const py = y(v);
      const prev = ser.values[i - 1];
      const next = ser.values[i + 1];
      if (typeof prev !== 'number' && typeof next !== 'number') {
        dots.push([px, py]);
        open = false;
        continue;
      }
      if (open) ctx.lineTo(px, py);
      else ctx.moveTo(px, py);
      open = true;
    }
    ctx.stroke();
    for (const [px, py] of dots) {
      ctx.beginPath();
      ctx.arc(px, py, 3.5, 0, Math.PI * 2);
      ctx.fill();
    }
  }
}

const observer = typeof ResizeObserver === 'function' ? new ResizeObserver((entries) => entries.forEach((e) => draw(e.target))) : undefined;

/**
 * Draws series over times (unix ms) on canvas. opts: { times, series: [{ values, color }],
 * xMin, xMax, yMax?, yFormat(v) }. Values may be null (no data in that bucket).
 */
export function drawLineChart(canvas, opts) {
  const first = !state.has(canvas);
  state.set(canvas, opts);
  const points = opts.series.reduce((n, ser) => n + ser.values.filter((v) => typeof v === 'number' && Number.isFinite(v)).length, 0);
  canvas.dataset.points = String(points);
  if (first && observer) observer.observe(canvas);
  draw(canvas);
}
