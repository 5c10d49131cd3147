/**
 * The dashboard's charts, drawn by Apache ECharts (SVG renderer: the DOM
 * holds the drawing, so it can be inspected and printed). Each container is
 * marked `data-chart="ready"` once drawn.
 */
import type { EChartsOption, EChartsType } from 'echarts';
import { h } from './dom.ts';

const live: EChartsType[] = [];

/** A chart container with `id`, drawn with `option`. */
export function chart(id: string, option: EChartsOption, tall = false): HTMLDivElement {
  const el = h('div', { id, class: tall ? 'chart tall' : 'chart', 'data-chart': 'pending' });
  // Drawn once attached: ECharts needs the container's size.
  queueMicrotask(() => {
    const instance = echarts.init(el, null, { renderer: 'svg' });
    instance.on('finished', () => el.setAttribute('data-chart', 'ready'));
    instance.setOption({ animation: false, ...option });
    live.push(instance);
  });
  return el;
}

/** Frees every chart (before a page is replaced). */
export function disposeCharts(): void {
  for (const instance of live.splice(0)) instance.dispose();
}

window.addEventListener('resize', () => live.forEach((c) => c.resize()));

const axisLabel = { interval: 0, rotate: 30, fontSize: 11 } as const;

export function barChart(
  id: string,
  categories: readonly string[],
  series: readonly { name: string; values: readonly number[] }[],
  options: { horizontal?: boolean; percent?: boolean } = {},
): HTMLDivElement {
  const categoryAxis = { type: 'category' as const, data: [...categories], axisLabel };
  const valueAxis = {
    type: 'value' as const,
    ...(options.percent ? { max: 1, axisLabel: { formatter: (v: number) => `${Math.round(v * 100)} %` } } : {}),
  };
  return chart(
    id,
    {
      tooltip: { trigger: 'axis' },
      ...(series.length > 1 ? { legend: {} } : {}),
      grid: { left: options.horizontal ? 160 : 60, right: 30, bottom: options.horizontal ? 30 : 90, top: 40 },
      xAxis: options.horizontal ? valueAxis : categoryAxis,
      yAxis: options.horizontal ? { ...categoryAxis, axisLabel: { fontSize: 11 }, inverse: true } : valueAxis,
      series: series.map((s) => ({ type: 'bar', name: s.name, data: [...s.values] })),
    },
    options.horizontal === true && categories.length > 12,
  );
}

/** Rows: the true class; columns: the prediction. */
export function heatMap(id: string, labels: readonly string[], counts: readonly (readonly number[])[]): HTMLDivElement {
  const data: [number, number, number][] = [];
  let max = 0;
  counts.forEach((row, y) =>
    row.forEach((value, x) => {
      data.push([x, y, value]);
      max = Math.max(max, value);
    }),
  );
  return chart(
    id,
    {
      tooltip: {
        formatter: (p: unknown) => {
          const [x, y, v] = (p as { value: [number, number, number] }).value;
          return `Nmap ${labels[y]} → predicted ${labels[x]}: ${v}`;
        },
      },
      grid: { left: 160, right: 90, bottom: 110, top: 20 },
      xAxis: { type: 'category', data: [...labels], name: 'predicted', nameLocation: 'middle', nameGap: 90, axisLabel },
      yAxis: { type: 'category', data: [...labels], name: 'Nmap class', inverse: true, axisLabel: { fontSize: 11 } },
      visualMap: {
        min: 0,
        max: Math.max(1, max),
        text: ['more', 'fewer'],
        orient: 'vertical',
        right: 10,
        top: 'center',
      },
      series: [{ type: 'heatmap', data, label: { show: true } }],
    },
    labels.length > 8,
  );
}
