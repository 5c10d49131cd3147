import type { LabelFields, LabelStatus } from './schema.ts';

/** Every label column but the status, empty: the block a row without an Nmap label carries. */
export const NO_LABEL = {
  label: null,
  label_acc: null,
  label_2: null,
  label_2_acc: null,
  os_vendor: null,
  os_family: null,
  os_gen: null,
  os_type: null,
  os_cpe: null,
  nmap_guesses: null,
  nmap_closed_port: null,
  nmap_unreliable: null,
  nmap_too_many_matches: null,
  nmap_tries: null,
} as const satisfies Omit<LabelFields, 'label_status'>;

/** Label columns of a host that has no label, with the status that says why (and Nmap's guesses, if any were kept). */
export function unlabelledFields(status: Exclude<LabelStatus, 'ok'>, nmapGuesses: string | null = null): LabelFields {
  return { ...NO_LABEL, nmap_guesses: nmapGuesses, label_status: status };
}
