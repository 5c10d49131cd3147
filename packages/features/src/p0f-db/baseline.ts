/**
 * The p0f baseline for `osfp dataset evaluate`: what p0f's hand-written
 * database says about each row's SYN-ACK, in the dataset's own classes.
 */
import type { PassiveBaseline, PassiveVerdict } from '@osfp/dataset';
import type { P0fDatabase } from './database.ts';
import { matchSynAck } from './match.ts';
import { parseObservedSignature } from './observed.ts';
import { P0fSignatureError } from './signature.ts';
import { mapP0fLabel } from './taxonomy-map.ts';

export function p0fBaseline(database: P0fDatabase): PassiveBaseline {
  return {
    name: 'p0f',
    source: database.source,
    judge(row): PassiveVerdict {
      let signature;
      try {
        signature = parseObservedSignature(row.p0f_sig);
      } catch (error) {
        if (error instanceof P0fSignatureError) return { kind: 'unreadable', reason: error.message };
        throw error;
      }
      const match = matchSynAck(database, { signature, window: row.tcp_window });
      if (match === null) return { kind: 'none' };
      const mapping = mapP0fLabel(match.signature.label);
      return {
        kind: 'match',
        label: match.signature.label.text,
        quality: match.quality,
        classes: mapping.classes,
        family: mapping.family,
      };
    },
  };
}
