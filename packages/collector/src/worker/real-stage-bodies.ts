import type { StageBodies, Prober, ProberOptions } from './stage-bodies.ts';

interface ProbeModule {
  createProber(options: ProberOptions): Prober | Promise<Prober>;
}
interface LabelerModule {
  labelHosts: StageBodies['labelHosts'];
}

/**
 * The production stage bodies: the collector's raw-socket prober and Nmap
 * through @osfp/labeler. Loaded lazily so a label-only worker never opens a
 * raw socket and a probe-only worker never needs Nmap.
 */
export function realStageBodies(): StageBodies {
  return {
    async createProber(options) {
      const probe = (await import(moduleUrl('../probe/index.ts'))) as ProbeModule;
      return probe.createProber(options);
    },
    async labelHosts(targets, options) {
      const labeler = (await import('@osfp/labeler')) as unknown as LabelerModule;
      return labeler.labelHosts(targets, options);
    },
  };
}

function moduleUrl(relative: string): string {
  return new URL(relative, import.meta.url).href;
}
