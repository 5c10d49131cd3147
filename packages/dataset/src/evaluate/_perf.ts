import { evaluateRows, DEFAULT_EVALUATE_OPTIONS } from '/work/main/packages/dataset/src/evaluate/index.ts';
import { syntheticRows } from '/work/main/packages/dataset/test/synthetic-rows.ts';
for (const n of [50, 500, 2500]) {
  const rows = syntheticRows({ perClass: n, labelNoise: 0.05 });
  const t = Date.now();
  const { report } = evaluateRows(rows, DEFAULT_EVALUATE_OPTIONS);
  console.log(n * 4, 'rows', Date.now() - t, 'ms', report.models.map((m) => `${m.name} ${m.figures.top1.toFixed(3)} ${m.figures.top2.toFixed(3)} ${m.figures.balancedAccuracy.toFixed(3)}`).join(' | '), report.featureImportance.slice(0, 3));
}
