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
  MAX_SCANNER_INDEX,
  type LabOptions,
  type LabPlan,
  type Personality,
  type HostileBehaviour,
  type HostileHost,
} from './plan.ts';
export { PERSONALITIES, type PersonalityDefinition, type PersonalityExpectation, type StackSettings } from './personalities.ts';
export { labUp, labDown, labStatus, addScanner, LabPermissionError, type LabStatus } from './lab.ts';
export { LabError } from './lab-error.ts';
export { inNamespace } from './netns.ts';
export { labTargets, maxTargets, TARGET_FORMATS, RESPONSIVE_ADDRESSES, MAX_NAMES, type TargetFormat } from './targets.ts';
export { labName, labNameAddress, ALIASES } from './dns-zone.ts';
export { TARGET_HTTP_PORTS, TARGET_TLS_PORTS } from './servers/target-ports.ts';
