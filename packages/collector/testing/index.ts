// Stand-ins for tests of the pipeline and of what shows it (no network, no Nmap).
export { fakeLabel, fakeStageBodies, fakeSynAck } from './fake-stage-bodies.ts';
