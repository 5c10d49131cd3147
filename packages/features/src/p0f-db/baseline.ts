/**
 * p0f databases as passive baselines for `osfp dataset evaluate`: what a
 * database says about each row's SYN-ACK, in the dataset's own classes.
 * p0f's hand-written database is judged as is; a learned one (learn-database.ts)
 * is built from the training split by the evaluator and judged on the test split.
 */
import type { LearnedPassiveBaseline, PassiveBaseline, PassiveVerdict } from '@osfp/dataset';
import type { P0fDatabase, P0fTcpSignature } from './database.ts';
import type { LabelledSynAck } from './evidence.ts';
import { DEFAULT_LEARN_OPTIONS, learnP0fDatabase, type LearnOptions, type LearnedDatabase } from './learn-database.ts';
import { layoutMatcher } from './match.ts';
import { parseObservedSignature } from './observed.ts';
import { P0fSignatureError } from './signature.ts';
import { mapP0fLabel, type TaxonomyMapping } from './taxonomy-map.ts';

export function p0fBaseline(database: P0fDatabase): PassiveBaseline {
  return {
    name: 'p0f',
    source: database.source,
    judge: judgeWith(database.tcpResponse, (signature) => mapP0fLabel(signature.label)),
  };
}

/**
 * A learned database judges in the classes it was learned from: a class
 * label agrees with exactly that class, a family-only label with none (it
 * can only agree on the family).
 */
export function learnedDatabaseBaseline(db: LearnedDatabase, source: string): PassiveBaseline {
  return {
    name: 'p0f-learned',
    source,
    judge: judgeWith(db.database, (signature) => {
      const entry = db.signatures[signature.line];
      return { classes: entry?.cls ? [entry.cls] : [], family: entry?.family ?? '' };
    }),
  };
}

/** For the evaluator: learns a database from the training split with `options`. */
export function learnedP0fBaseline(options: LearnOptions = DEFAULT_LEARN_OPTIONS): LearnedPassiveBaseline {
  const settings = `--min-support ${options.minSupport} --min-purity ${options.minPurity}`;
  return {
    name: 'p0f-learned',
    learn(train: Iterable<LabelledSynAck>): PassiveBaseline {
      const db = learnP0fDatabase(train, options, 'the training split');
      return learnedDatabaseBaseline(
        db,
        `learned by osfp from the training split (${db.rows.learned} rows, ${db.signatures.length} signatures, ${settings})`,
      );
    },
  };
}

function judgeWith(
  signatures: readonly P0fTcpSignature[],
  mapping: (signature: P0fTcpSignature) => TaxonomyMapping,
): PassiveBaseline['judge'] {
  const match = layoutMatcher(signatures);
  // Datasets repeat signatures a lot: one verdict per distinct SYN-ACK (bounded, so memory stays flat).
  const seen = new Map<string, PassiveVerdict>();
  return (row): PassiveVerdict => {
    const key = `${row.p0f_sig} ${row.tcp_window}`;
    const known = seen.get(key);
    if (known) return known;
    const verdict = judge(row);
    if (seen.size >= 100_000) seen.clear();
    seen.set(key, verdict);
    return verdict;
  };

  function judge(row: Pick<LabelledSynAck, 'p0f_sig' | 'tcp_window'>): PassiveVerdict {
    let signature;
    try {
      signature = parseObservedSignature(row.p0f_sig);
    } catch (error) {
      if (error instanceof P0fSignatureError) return { kind: 'unreadable', reason: error.message };
      throw error;
    }
    const found = match({ signature, window: row.tcp_window });
    if (found === null) return { kind: 'none' };
    const { classes, family } = mapping(found.signature);
    return { kind: 'match', label: found.signature.label.text, quality: found.quality, classes, family };
  }
}
