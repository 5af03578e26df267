/**
 * One detector per PII entity. Each finds candidates with a linear-time pattern and keeps only
 * those that pass the entity's own rules: the Luhn check for cards, mod-97 and the country length
 * for IBANs, the never-issued ranges for US SSNs, octets ≤ 255 for IPv4, a full parse for IPv6.
 */
import type { Detector, Span } from './check.ts';
import { patternSpans, redactAfter } from './check.ts';
import { bounded, type LinearPattern } from './linear-pattern.ts';

export const PII_ENTITIES = ['EMAIL', 'PHONE', 'US_SSN', 'CREDIT_CARD', 'IBAN', 'IP_ADDRESS'] as const;
export type PiiEntity = (typeof PII_ENTITIES)[number];

const hit = (type: PiiEntity, redacted: string) => ({
  finding: { type, redacted },
  placeholder: `[${type}]`,
});

/** JavaScript's `\s` (RE2's covers ASCII only), for use inside a character class. */
const SPACE =
  '\\t\\n\\x0B\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}';

const EMAIL = bounded(
  '\\w.%+-',
  '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}',
  '\\w-',
);

/** `john@example.com` → `j***@e***.com`. */
function redactEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  const tld = domain.slice(domain.lastIndexOf('.'));
  return `${local[0]}***@${domain[0]}***${tld}`;
}

/** `+` and a country code, then 7 to 15 digits in all (E.164) with spaces, dots, dashes or parentheses. */
const PHONE_INTL = bounded('\\w+', `\\+[1-9](?:[${SPACE}.\\-()]{0,2}\\d){6,14}`, '\\d');
/** NANP: optional 1, area and exchange codes starting 2–9, e.g. `(212) 555-1234`, `212.555.1234`. */
const PHONE_NANP = bounded(
  '\\w+',
  `(?:1[${SPACE}.-]?)?(?:\\([2-9]\\d{2}\\)[${SPACE}]?|[2-9]\\d{2}[${SPACE}.-]?)[2-9]\\d{2}[${SPACE}.-]?\\d{4}`,
  '\\w',
);

/** Area, group and serial with the same separator twice: RE2 has no backreference, so one pattern each. */
const SSN_DASHED = bounded('\\d-', '(\\d{3})-(\\d{2})-(\\d{4})', '\\d-');
const SSN_SPACED = bounded('\\d-', '(\\d{3}) (\\d{2}) (\\d{4})', '\\d-');

/** Areas 000, 666 and 900–999, group 00 and serial 0000 are never issued. */
function isIssuableSsn(area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

/** 13–19 digits, optionally grouped by spaces or dashes; not part of a `+` phone number. */
const CARD = bounded('\\d+-', '\\d(?:[ -]?\\d){12,18}', '\\d');

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** IBAN length per country (SWIFT IBAN registry), as `<country><length>`. */
const IBAN_LENGTHS: ReadonlyMap<string, number> = new Map(
  [
    'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DK18 DO28 EE20',
    'EG29 ES24 FI18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30',
    'KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 MC27 MD24 ME22 MK19 MR27 MT31 MU30 NL18 NO15 PK24 PL28',
    'PS29 PT25 QA29 RO24 RS22 SA24 SC31 SE24 SI19 SK24 SM27 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24',
    'XK20',
  ]
    .join(' ')
    .split(' ')
    .map((e): [string, number] => [e.slice(0, 2), Number(e.slice(2))]),
);
const IBAN_START = bounded('A-Za-z0-9', '([A-Z]{2})\\d{2}', '');

/** One ASCII letter or digit (`c` may be empty at the end of the text). */
function isAlnum(c: string): boolean {
  const code = c.length === 1 ? c.charCodeAt(0) : -1;
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** ISO 13616 check: the first four characters moved to the end, letters as 10–35, mod 97 is 1. */
export function ibanChecksumValid(iban: string): boolean {
  let rest = 0;
  for (const c of iban.slice(4) + iban.slice(0, 4)) {
    const v = Number.parseInt(c, 36);
    rest = (v > 9 ? rest * 100 + v : rest * 10 + v) % 97;
  }
  return rest === 1;
}

/** From `start`, reads `length` alphanumerics allowing single spaces after the first four; undefined when the IBAN is cut short or runs on. */
function readIban(text: string, start: number, length: number): { end: number; compact: string } | undefined {
  let i = start;
  let compact = '';
  while (i < text.length && compact.length < length) {
    const c = text[i] ?? '';
    if (isAlnum(c)) {
      compact += c;
      i++;
    } else if (c === ' ' && compact.length >= 4 && isAlnum(text[i + 1] ?? '')) i++;
    else break;
  }
  if (compact.length !== length || isAlnum(text[i] ?? '')) return undefined;
  return { end: i, compact: compact.toUpperCase() };
}

const IBAN: Detector = (text) => {
  const spans: Span[] = [];
  for (const m of IBAN_START.matches(text)) {
    const length = IBAN_LENGTHS.get(m.group(1) ?? '');
    const read = length ? readIban(text, m.start, length) : undefined;
    if (read && ibanChecksumValid(read.compact))
      spans.push({ start: m.start, end: read.end, ...hit('IBAN', redactAfter(read.compact, 2)) });
  }
  return spans;
};

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/** Not followed by a digit, nor by a dot and a digit. */
const IPV4 = bounded('\\d.', `(?:${OCTET}\\.){3}${OCTET}`, '', { afterRaw: '(?:$|[^\\d.]|\\.(?:$|\\D))' });
const IPV6_CANDIDATE = bounded(
  '\\w:.',
  '(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|\\d{1,3}(?:\\.\\d{1,3}){3})',
  '\\w:',
);

/** A hex digit, by character code. */
const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/** `a.b.c.d` with each part a decimal 0–255 of at most 3 digits, no leading zero (as `net.isIPv4`). */
function isIPv4Address(s: string): boolean {
  const parts = s.split('.');
  return (
    parts.length === 4 &&
    parts.every((p) => {
      if (p.length === 0 || p.length > 3 || (p.length > 1 && p[0] === '0')) return false;
      for (let i = 0; i < p.length; i++) if (p.charCodeAt(i) < 48 || p.charCodeAt(i) > 57) return false;
      return Number(p) <= 255;
    })
  );
}

/**
 * RFC 4291 text form (as `net.isIPv6` reads it, which uses a RegExp): eight groups of 1–4 hex
 * digits, or fewer around one `::`, the last two groups optionally an IPv4 address.
 */
export function isIPv6Address(s: string): boolean {
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groupsOf = (h: string): string[] => (h === '' ? [] : h.split(':'));
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  const all = [...head, ...tail];
  let count = all.length;
  // Only the text's last group may be an IPv4 address ("1.2.3.4::" is not one).
  const final = halves.length === 2 ? tail : head;
  const last = final[final.length - 1];
  if (last?.includes('.')) {
    if (!isIPv4Address(last)) return false;
    all.pop();
    count++; // an IPv4 address counts as two groups
  }
  const hexGroup = (g: string) =>
    g.length >= 1 && g.length <= 4 && [...g].every((c) => isHex(c.charCodeAt(0)));
  if (!all.every(hexGroup)) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

const hasHexDigit = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== 58 && s.charCodeAt(i) !== 46) return true;
  return false;
};

/** Per entity: its patterns (what a one-pass prefilter looks for) and the detector that uses them. */
export const PII_DETECTORS: Readonly<
  Record<PiiEntity, { readonly patterns: readonly LinearPattern[]; readonly detect: Detector }>
> = {
  EMAIL: {
    patterns: [EMAIL],
    detect: (text) => patternSpans(EMAIL, text, (m) => hit('EMAIL', redactEmail(m.text))),
  },
  PHONE: {
    patterns: [PHONE_INTL, PHONE_NANP],
    detect: (text) => [
      ...patternSpans(PHONE_INTL, text, (m) => hit('PHONE', redactAfter(m.text, 3))),
      ...patternSpans(PHONE_NANP, text, (m) => hit('PHONE', redactAfter(m.text, 3))),
    ],
  },
  US_SSN: {
    patterns: [SSN_DASHED, SSN_SPACED],
    detect: (text) =>
      [SSN_DASHED, SSN_SPACED].flatMap((p) =>
        patternSpans(p, text, (m) =>
          isIssuableSsn(m.group(1) ?? '', m.group(2) ?? '', m.group(3) ?? '')
            ? hit('US_SSN', '***-**-****')
            : undefined,
        ),
      ),
  },
  CREDIT_CARD: {
    patterns: [CARD],
    detect: (text) =>
      patternSpans(CARD, text, (m) => {
        const digits = m.text.replaceAll(' ', '').replaceAll('-', '');
        return luhnValid(digits) ? hit('CREDIT_CARD', `****${digits.slice(-4)}`) : undefined;
      }),
  },
  IBAN: { patterns: [IBAN_START], detect: IBAN },
  IP_ADDRESS: {
    patterns: [IPV4, IPV6_CANDIDATE],
    detect: (text) => [
      ...patternSpans(IPV4, text, (m) => hit('IP_ADDRESS', `${m.text.split('.')[0]}.***`)),
      ...patternSpans(IPV6_CANDIDATE, text, (m) =>
        hasHexDigit(m.text) && isIPv6Address(m.text)
          ? hit('IP_ADDRESS', `${m.text.split(':')[0]}:***`)
          : undefined,
      ),
    ],
  },
};
