export { createProber, type Prober, type ProberOptions, type ProbeOutcome, type ProbeTarget } from './prober.ts';
export { runHttpExchange, type ExchangeOptions, type ExchangeResult, type ExchangeTarget } from './http-exchange.ts';
export { learnOwnSyn, routeMssTowards, type OwnSyn } from './own-syn.ts';
