export {
  labPlan,
  labPrefix,
  labNamespaces,
  isLabNamespace,
  scannerNamespace,
  scannerAddress,
  personalityHost,
  hostileAddress,
  whoAnswers,
  ipToNumber,
  numberToIp,
  LAB_CIDR,
  LAB_DOMAIN,
  LAN_CIDR,
  DNS_ADDRESS,
  HOSTILE_CIDR,
  HOSTS_PER_PERSONALITY,
  HOSTS_PER_EMULATED,
  MAX_EMULATED,
  EMULATED_LAN_ADDRESS,
  emulatedHost,
  emulatedCidr,
  MAX_SCANNER_INDEX,
  type LabOptions,
  type LabPlan,
  type Personality,
  type HostileBehaviour,
  type HostileHost,
} from './plan.ts';
export {
  PERSONALITIES,
  type PersonalityDefinition,
  type PersonalityExpectation,
  type StackSettings,
} from './personalities.ts';
export {
  labUp,
  labDown,
  labStatus,
  addScanner,
  runningPlan,
  withExtras,
  pathBridgeReports,
  LabPermissionError,
  type LabStatus,
  type PathBridgeReport,
} from './lab.ts';
export {
  loadProfile,
  parseProfile,
  sameProfile,
  profilePath,
  describeProfile,
  INTERNET_PROFILE,
  BUILTIN_PROFILES,
  LabProfileError,
  type LabProfile,
} from './profile.ts';
export type { PathBridgeStats } from './path-bridge/path-bridge.ts';
export {
  DEFAULT_EMULATED,
  fingerprintClass,
  classOfLine,
  sampleFingerprintNames,
  type EmulatedOs,
  type EmulatedOsDefinition,
  type EmulatedOsRequest,
} from './emulator/catalog.ts';
export {
  loadOsDb,
  parseOsDb,
  findFingerprint,
  requireFingerprint,
  closestNames,
  UnknownFingerprintError,
  DEFAULT_OS_DB,
  type OsDb,
  type Fingerprint,
  type OsClass,
} from './emulator/os-db.ts';
export { labTruth, kernelClassLine, type TruthRecord } from './emulator/truth.ts';
export { hostConditions, type PathSpec, type Distribution, type HostConditions } from './emulator/path.ts';
export { LabError } from './lab-error.ts';
export { inNamespace } from './netns.ts';
export {
  labTargets,
  maxTargets,
  TARGET_FORMATS,
  RESPONSIVE_ADDRESSES,
  MAX_NAMES,
  type TargetFormat,
} from './targets.ts';
export { labName, labNameAddress, labNameAddress6, ALIASES } from './dns-zone.ts';
export { labIpv6, labCidr6, LAB_CIDR6 } from './ipv6.ts';
export { TARGET_HTTP_PORTS, TARGET_TLS_PORTS } from './servers/target-ports.ts';
