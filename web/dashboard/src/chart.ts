/**
 * The provisioned config's last hour as a uPlot chart: Requested and Allocated (left axis,
 * environments) and utilisation (right axis, %), one point per server sample.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { HistoryPoint } from './api.js';

export type ChartData = [number[], number[], number[], number[]];

export function toData(points: readonly HistoryPoint[]): ChartData {
  return [
    points.map((p) => p.t / 1000),
    points.map((p) => p.requested),
    points.map((p) => p.allocated),
    points.map((p) => Math.round(p.utilization * 100)),
  ];
}

export function createChart(el: HTMLElement, data: ChartData, width: number): uPlot {
  const opts: uPlot.Options = {
    width,
    height: 220,
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    scales: {
      // The last hour, or the part of it that has points (a server that just started).
      x: {
        time: true,
        range: (u) => {
          const now = Date.now() / 1000;
          const first = u.data[0][0] ?? now - 3600;
          return [Math.max(now - 3600, Math.min(first, now - 60)), now];
        },
      },
      envs: { range: (_u, _min, max) => [0, Math.max(1, max + 1)] },
      pct: { range: [0, 100] },
    },
    series: [
      {},
      { label: 'Requested', scale: 'envs', stroke: '#8a94a6', width: 2, dash: [6, 4] },
      { label: 'Allocated', scale: 'envs', stroke: '#2f7de1', width: 2 },
      { label: 'Utilisation %', scale: 'pct', stroke: '#e0782f', width: 2, fill: 'rgba(224,120,47,0.12)' },
    ],
    axes: [
      {},
      { scale: 'envs', label: 'environments' },
      { scale: 'pct', side: 1, label: '%', grid: { show: false } },
    ],
  };
  return new uPlot(opts, data, el);
}
