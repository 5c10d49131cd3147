// Apache ECharts is loaded as a classic script (/vendor/echarts.min.js, from node_modules) and sets this global.
import type * as ECharts from 'echarts';

declare global {
  const echarts: typeof ECharts;
}
