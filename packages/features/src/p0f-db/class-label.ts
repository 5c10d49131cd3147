/**
 * A dataset class (`Linux 4.X`, `Windows 2016`, `embedded`...) written as a
 * p0f label, so that p0f prints the class itself: name = the first word,
 * flavor = the rest, class from the OS family (p0f's `win`, `unix`, `other`).
 * p0f allows only letters, digits and ` ./-_!?()` in a name (readfp.c,
 * NAME_CHARS); anything else becomes `_`. The flavor is free text to the end
 * of the line; control characters become spaces.
 */
import { familyOfClass } from '@osfp/dataset';
import type { P0fLabelFields } from './signature-text.ts';

/** The classes line every generated file declares (p0f refuses a label whose class is not declared). */
export const P0F_OS_CLASSES = ['win', 'unix', 'other'] as const;

const UNIX_FAMILIES: ReadonlySet<string> = new Set([
  'aix',
  'android',
  'dragonfly',
  'freebsd',
  'hp-ux',
  'irix',
  'linux',
  'macos',
  'netbsd',
  'openbsd',
  'openvms',
  'solaris',
  'sunos',
  'tru64',
]);

export function labelForClass(cls: string): P0fLabelFields {
  const text = cls.trim();
  const space = text.indexOf(' ');
  const name = space < 0 ? text : text.slice(0, space);
  const flavor = space < 0 ? '' : text.slice(space + 1);
  return { generic: false, osClass: osClassOf(name), name: cleanName(name), flavor: cleanFlavor(flavor) };
}

/** A generic label naming only an OS family (`g:unix:Linux:`), written in the spelling of one of its classes. */
export function labelForFamily(classOfFamily: string): P0fLabelFields {
  return { ...labelForClass(classOfFamily), generic: true, flavor: '' };
}

function osClassOf(firstWord: string): (typeof P0F_OS_CLASSES)[number] {
  const family = familyOfClass(firstWord);
  if (family === 'windows') return 'win';
  // Apple's iOS is a Unix; Cisco's IOS (Nmap spells it in capitals) is not.
  if (family === 'ios') return firstWord === 'IOS' ? 'other' : 'unix';
  return UNIX_FAMILIES.has(family) ? 'unix' : 'other';
}

function cleanName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9 ./\-_!?()]/g, '_');
  return cleaned === '' ? 'unnamed' : cleaned;
}

function cleanFlavor(flavor: string): string {
  // eslint-disable-next-line no-control-regex
  return flavor.replace(/[\u0000-\u001f\u007f]/g, ' ').trimEnd();
}
