/**
 * Labels from pcapng packet comments. The default follows the seed
 * notebook's convention, "anything,anything_LABEL": the label is what follows
 * the first '_' after the first ','. --label-pattern takes any regex; its first
 * capture group (or the whole match) is the label.
 */
import { DatasetInputError } from '@osfp/dataset';

export const DEFAULT_LABEL_PATTERN = '^[^,]*,[^_]*_(.+)$';

export type LabelOf = (comment: string) => string | null;

/** Throws a DatasetInputError naming the pattern when it is not a valid regex. */
export function labelMatcher(pattern: string = DEFAULT_LABEL_PATTERN): LabelOf {
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'u');
  } catch (error) {
    throw new DatasetInputError(
      `--label-pattern ${JSON.stringify(pattern)} is not a valid regular expression: ${(error as Error).message}`,
    );
  }
  return (comment) => {
    const m = re.exec(comment);
    if (!m) return null;
    const label = (m[1] ?? m[0]).trim();
    return label === '' ? null : label;
  };
}
