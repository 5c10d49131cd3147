export { createProber } from './prober.ts';
export type { Prober, ProberOptions, ProbeOutcome, ProbeTarget } from './probe-types.ts';
export { runHttpExchange, type ExchangeOptions, type ExchangeResult, type ExchangeTarget } from './http-exchange.ts';
export { learnOwnSyn, routeMssTowards, type OwnSyn } from './own-syn.ts';
