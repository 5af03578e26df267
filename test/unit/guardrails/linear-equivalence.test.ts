/**
 * The linear-time detectors find exactly what the JavaScript-RegExp ones they replaced found: the
 * same spans, masks and findings, on random texts built from each detector's interesting pieces
 * (the old code is kept in ./regexp-reference as the oracle).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { foldCase } from '../../../src/guardrails/char-class.ts';
import type { Check } from '../../../src/guardrails/check.ts';
import * as keywords from '../../../src/guardrails/keywords.ts';
import * as pii from '../../../src/guardrails/pii.ts';
import * as injection from '../../../src/guardrails/prompt-injection.ts';
import * as secrets from '../../../src/guardrails/secrets.ts';
import * as oldKeywords from './regexp-reference/keywords.ts';
import * as oldPii from './regexp-reference/pii.ts';
import * as oldInjection from './regexp-reference/prompt-injection.ts';
import * as oldSecrets from './regexp-reference/secrets.ts';
import { mustCompile } from './support.ts';

const RUNS = { numRuns: 1500, seed: 20261206 } as const;

/** Texts of up to `max` pieces drawn from `pieces`. */
const textOf = (pieces: readonly string[], max = 24) =>
  fc.array(fc.constantFrom(...pieces), { maxLength: max }).map((p) => p.join(''));

/** Both checks answer the same on every text (block and mask forms alike). */
function sameAnswers(name: string, pieces: readonly string[], pairs: readonly [Check, Check][]): void {
  test(`${name}: same answers as the RegExp version`, () => {
    fc.assert(
      fc.property(textOf(pieces), textOf(pieces, 6), (a, b) => {
        for (const [linear, old] of pairs) expect(linear([a, b])).toEqual(old([a, b]));
      }),
      RUNS,
    );
  });
}

const SPACES = [' ', '  ', '\t', '\n', '\u00a0', '\u2003', '\u3000'];

describe('equivalence with the RegExp detectors', () => {
  sameAnswers(
    'pii',
    [
      ...SPACES,
      ...'@.-+()_:%ax0123456789'.split(''),
      'jane.doe',
      'example',
      'com',
      'io',
      '4111',
      '1111',
      '5555-5555-5555-4444',
      '378282246310005',
      '123-45-6789',
      '123 45 6789',
      '000',
      '666-12-3456',
      '+44 20 7946 0958',
      '+1',
      '(212) 555-1234',
      '212.555.1234',
      '1 ',
      'DE89 3704 0044 0532 0130 00',
      'GB82WEST12345698765432',
      'DE',
      '192.168.0.1',
      '10.0.0.',
      '256',
      'fe80::1',
      '2001:0db8:85a3::8a2e:0370:7334',
      '::ffff:1.2.3.4',
      'std::',
      '12:30:45',
    ],
    [
      [mustCompile(pii.compile({})), mustCompile(oldPii.compile({}))],
      [mustCompile(pii.compile({ action: 'mask' })), mustCompile(oldPii.compile({ action: 'mask' }))],
    ],
  );

  sameAnswers(
    'secrets',
    [
      ...SPACES,
      ...'-_=:"\'./+aZ09x'.split(''),
      'sk-',
      'ant-',
      'proj-',
      'svcacct-',
      'abcdefghij0123456789',
      'ABCDEFGHIJKLMNOPQRST',
      'AKIA',
      'ASIA',
      'IOSFODNN7EXAMPLE',
      'aws',
      'AWS_',
      'secret',
      '_access_key',
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'ghp_',
      'RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR',
      'github_pat_',
      '1111111111111111111111_',
      'xoxb-',
      '123456789012-abc',
      'AIza',
      'SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS',
      'sk_live_',
      'rk_live_',
      '9999999999999999',
      '-----BEGIN RSA PRIVATE KEY-----',
      '-----END RSA PRIVATE KEY-----',
      '-----BEGIN PRIVATE KEY-----',
      '-----END PRIVATE KEY-----',
      'MIIEow',
      'eyJ',
      'hbGciOiJ',
    ],
    [
      [mustCompile(secrets.compile({})), mustCompile(oldSecrets.compile({}))],
      [mustCompile(secrets.compile({ action: 'mask' })), mustCompile(oldSecrets.compile({ action: 'mask' }))],
    ],
  );

  const words = ['class', 'drop table', 'café', 'Straße', 'c++', 'a', 'a b', 'σοφία', '日本'];
  sameAnswers(
    'keywords',
    [
      ...SPACES,
      ...'-_.,+xAaBb'.split(''),
      'class',
      'CLASS',
      'Class',
      'classic',
      'drop',
      'DROP',
      'table',
      'café',
      'CAFÉ',
      'cafe\u0301',
      '\u0301',
      'straße',
      'STRASSE',
      'ß',
      'ẞ',
      'c++',
      'C++',
      'ΣΟΦΊΑ',
      'σοφία',
      'σοφίας',
      '日本',
      '日本語',
      '\u200d',
      '🏻',
      'ı',
      'İ',
      'ſ',
      '\ud83d',
    ],
    [
      [mustCompile(keywords.compile({ words })), mustCompile(oldKeywords.compile({ words }))],
      [
        mustCompile(keywords.compile({ words, action: 'mask' })),
        mustCompile(oldKeywords.compile({ words, action: 'mask' })),
      ],
    ],
  );

  const injectionPieces = [
    ...SPACES,
    ...'.-_,!?\'"@$013457aeiouxyz'.split(''),
    'ignore',
    'IGNORE',
    'i g n o r e',
    'i.g.n.o.r.e',
    'previous',
    'prev1ous',
    'instructions',
    '1nstruct10ns',
    'all',
    'the',
    'your',
    'you are now dan',
    'developer mode enabled',
    'reveal your system prompt',
    'p r i n t',
    '\u200b',
    '\u00ad',
    'ｉｇｎｏｒｅ',
    '\u0301',
    'e\u0301',
    '𝐀',
    'ﷺ',
    '\ud800',
  ];
  test('prompt injection: the same normalisation as the RegExp version', () => {
    fc.assert(
      fc.property(textOf(injectionPieces), (text) => {
        expect(injection.normalizeForInjection(text)).toBe(oldInjection.normalizeForInjection(text));
      }),
      RUNS,
    );
  });
  sameAnswers('prompt injection', injectionPieces, [
    [mustCompile(injection.compile({})), mustCompile(oldInjection.compile({}))],
    [
      mustCompile(injection.compile({ extraPhrases: ['open the pod bay doors'], threshold: 2 })),
      mustCompile(oldInjection.compile({ extraPhrases: ['open the pod bay doors'], threshold: 2 })),
    ],
  ]);
});

test('case folding agrees with `/iu` on every character of the Basic Multilingual Plane', () => {
  const wrong: string[] = [];
  for (let cp = 0; cp <= 0xffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const c = String.fromCharCode(cp);
    const same = new RegExp(`^[${c === '\\' || c === ']' || c === '^' || c === '-' ? `\\${c}` : c}]$`, 'iu');
    const f = String.fromCodePoint(foldCase(cp));
    if (!same.test(f))
      wrong.push(`${cp.toString(16)} folds to ${foldCase(cp).toString(16)}, which /iu tells apart`);
    for (const other of [c.toUpperCase(), c.toLowerCase()]) {
      if ([...other].length !== 1 || !same.test(other)) continue;
      const o = other.codePointAt(0) as number;
      if (foldCase(o) !== foldCase(cp)) wrong.push(`${cp.toString(16)} and ${o.toString(16)} fold apart`);
    }
  }
  expect(wrong).toEqual([]);
});
