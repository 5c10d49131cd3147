/**
 * Per-direction statistics of one TCP flow: packets, bytes, and inter-arrival
 * times (mean, population std, min, max) kept with Welford's running update,
 * so a flow costs constant memory however many packets it has.
 */
import type { FlowStats } from '@osfp/dataset';

export class DirectionStats {
  packets = 0;
  bytes = 0;
  private lastMs: number | null = null;
  private gaps = 0;
  private mean = 0;
  private m2 = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;

  add(timeMs: number, ipBytes: number): void {
    this.packets++;
    this.bytes += ipBytes;
    if (this.lastMs !== null) {
      const gap = timeMs - this.lastMs;
      this.gaps++;
      const delta = gap - this.mean;
      this.mean += delta / this.gaps;
      this.m2 += delta * (gap - this.mean);
      this.min = Math.min(this.min, gap);
      this.max = Math.max(this.max, gap);
    }
    this.lastMs = timeMs;
  }

  /** Null statistics when fewer than two packets went this way. */
  iat(): { mean: number | null; std: number | null; min: number | null; max: number | null } {
    if (this.gaps === 0) return { mean: null, std: null, min: null, max: null };
    return { mean: this.mean, std: Math.sqrt(this.m2 / this.gaps), min: this.min, max: this.max };
  }
}

export function flowStatsOf(
  toServer: DirectionStats,
  fromServer: DirectionStats,
  firstMs: number,
  lastMs: number,
): FlowStats {
  const to = toServer.iat();
  const from = fromServer.iat();
  return {
    flow_packets_to_server: toServer.packets,
    flow_packets_from_server: fromServer.packets,
    flow_bytes_to_server: toServer.bytes,
    flow_bytes_from_server: fromServer.bytes,
    flow_duration_ms: lastMs - firstMs,
    flow_iat_to_server_mean_ms: to.mean,
    flow_iat_to_server_std_ms: to.std,
    flow_iat_to_server_min_ms: to.min,
    flow_iat_to_server_max_ms: to.max,
    flow_iat_from_server_mean_ms: from.mean,
    flow_iat_from_server_std_ms: from.std,
    flow_iat_from_server_min_ms: from.min,
    flow_iat_from_server_max_ms: from.max,
  };
}
