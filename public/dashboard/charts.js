// Small SVG charts, drawn from an analytics graph's data points. Each is an image with a text
// alternative that states the summary, so the numbers are there without the picture.

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 600;
const HEIGHT = 160;
const PAD = 28;

function svg(tag, attributes) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

/** A bar per data point of `field`, labelled with the largest value. */
export function barChart(points, field, description) {
  const values = points.map((point) => Number(point[field]) || 0);
  const top = Math.max(...values, 0);
  const chart = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': description, class: 'chart' });
  const width = (WIDTH - PAD) / Math.max(values.length, 1);
  values.forEach((value, index) => {
    const height = top === 0 ? 0 : ((HEIGHT - PAD) * value) / top;
    const bar = svg('rect', { x: PAD + index * width, y: HEIGHT - PAD - height, width: Math.max(width - 1, 1), height, class: 'bar' });
    const title = svg('title', {});
    title.textContent = `${points[index].timestamp}: ${value}`;
    bar.append(title);
    chart.append(bar);
  });
  const label = svg('text', { x: 2, y: 12, class: 'axis' });
  label.textContent = String(top);
  const first = svg('text', { x: PAD, y: HEIGHT - 8, class: 'axis' });
  first.textContent = points[0] ? new Date(points[0].timestamp).toUTCString().slice(5, 22) : '';
  chart.append(label, first, svg('line', { x1: PAD, y1: HEIGHT - PAD, x2: WIDTH, y2: HEIGHT - PAD, class: 'baseline' }));
  return chart;
}
