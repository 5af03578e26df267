// The JavaScript-RegExp implementation the linear-time one replaced, kept only as the oracle of
// test/unit/guardrails/linear-equivalence.test.ts. Never imported by src/.
/**
 * One detector per PII entity. Each finds candidates with a linear-time pattern and keeps only
 * those that pass the entity's own rules: the Luhn check for cards, mod-97 and the country length
 * for IBANs, the never-issued ranges for US SSNs, octets ≤ 255 for IPv4, a full parse for IPv6.
 */
import { isIPv6 } from 'node:net';
import type { Detector } from './check.ts';
import { redactAfter, regexSpans } from './check.ts';

export const PII_ENTITIES = ['EMAIL', 'PHONE', 'US_SSN', 'CREDIT_CARD', 'IBAN', 'IP_ADDRESS'] as const;
export type PiiEntity = (typeof PII_ENTITIES)[number];

const hit = (type: PiiEntity, redacted: string) => ({
  finding: { type, redacted },
  placeholder: `[${type}]`,
});

const EMAIL = /(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])/g;

/** `john@example.com` → `j***@e***.com`. */
function redactEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  const tld = domain.slice(domain.lastIndexOf('.'));
  return `${local[0]}***@${domain[0]}***${tld}`;
}

/** `+` and a country code, then 7 to 15 digits in all (E.164) with spaces, dots, dashes or parentheses. */
const PHONE_INTL = /(?<![\w+])\+[1-9](?:[\s.\-()]{0,2}\d){6,14}(?!\d)/g;
/** NANP: optional 1, area and exchange codes starting 2–9, e.g. `(212) 555-1234`, `212.555.1234`. */
const PHONE_NANP =
  /(?<![\w+])(?:1[\s.-]?)?(?:\([2-9]\d{2}\)\s?|[2-9]\d{2}[\s.-]?)[2-9]\d{2}[\s.-]?\d{4}(?![\w])/g;

const SSN = /(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])/g;

/** Areas 000, 666 and 900–999, group 00 and serial 0000 are never issued. */
function isIssuableSsn(area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

/** 13–19 digits, optionally grouped by spaces or dashes; not part of a `+` phone number. */
const CARD = /(?<![\d+-])\d(?:[ -]?\d){12,18}(?!\d)/g;

function luhnValid(digits: string): boolean {
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
const IBAN_START = /(?<![A-Za-z0-9])([A-Z]{2})\d{2}/g;
const ALNUM = /^[A-Za-z0-9]$/;

/** ISO 13616 check: the first four characters moved to the end, letters as 10–35, mod 97 is 1. */
function ibanChecksumValid(iban: string): boolean {
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
    if (ALNUM.test(c)) {
      compact += c;
      i++;
    } else if (c === ' ' && compact.length >= 4 && ALNUM.test(text[i + 1] ?? '')) i++;
    else break;
  }
  if (compact.length !== length || ALNUM.test(text[i] ?? '')) return undefined;
  return { end: i, compact: compact.toUpperCase() };
}

const IBAN: Detector = (text) => {
  const spans = [];
  for (const m of text.matchAll(IBAN_START)) {
    const length = IBAN_LENGTHS.get(m[1] ?? '');
    const read = length ? readIban(text, m.index, length) : undefined;
    if (read && ibanChecksumValid(read.compact))
      spans.push({ start: m.index, end: read.end, ...hit('IBAN', redactAfter(read.compact, 2)) });
  }
  return spans;
};

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`(?<![\\d.])(?:${OCTET}\\.){3}${OCTET}(?!\\d|\\.\\d)`, 'g');
const IPV6_CANDIDATE =
  /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|\d{1,3}(?:\.\d{1,3}){3})(?![\w:])/g;

export const PII_DETECTORS: Readonly<Record<PiiEntity, Detector>> = {
  EMAIL: (text) => regexSpans(EMAIL, text, (m) => hit('EMAIL', redactEmail(m[0]))),
  PHONE: (text) => [
    ...regexSpans(PHONE_INTL, text, (m) => hit('PHONE', redactAfter(m[0], 3))),
    ...regexSpans(PHONE_NANP, text, (m) => hit('PHONE', redactAfter(m[0], 3))),
  ],
  US_SSN: (text) =>
    regexSpans(SSN, text, (m) =>
      isIssuableSsn(m[1] ?? '', m[3] ?? '', m[4] ?? '') ? hit('US_SSN', '***-**-****') : undefined,
    ),
  CREDIT_CARD: (text) =>
    regexSpans(CARD, text, (m) => {
      const digits = m[0].replace(/[ -]/g, '');
      return luhnValid(digits) ? hit('CREDIT_CARD', `****${digits.slice(-4)}`) : undefined;
    }),
  IBAN,
  IP_ADDRESS: (text) => [
    ...regexSpans(IPV4, text, (m) => hit('IP_ADDRESS', `${m[0].split('.')[0]}.***`)),
    ...regexSpans(IPV6_CANDIDATE, text, (m) =>
      /[0-9A-Fa-f]/.test(m[0]) && isIPv6(m[0]) ? hit('IP_ADDRESS', `${m[0].split(':')[0]}:***`) : undefined,
    ),
  ],
};
