import { describe, expect, test } from 'vitest';
import { compile } from '../../../src/guardrails/pii.ts';
import { ibanChecksumValid, luhnValid } from '../../../src/guardrails/pii-detectors.ts';

function checkOf(config: Record<string, unknown>) {
  const c = compile(config);
  if (!c.ok) throw new Error(JSON.stringify(c.issues));
  return c.value;
}
const masker = checkOf({ action: 'mask' });
const blocker = checkOf({});

describe('pii detection (mask shows exactly what is found)', () => {
  const cases = [
    { note: 'email', text: 'mail john.doe+x@example.co.uk now', want: 'mail [EMAIL] now' },
    { note: 'not an email: no TLD', text: 'user@localhost', want: 'user@localhost' },
    { note: 'NANP phone with parens', text: 'call (212) 555-1234.', want: 'call [PHONE].' },
    { note: 'NANP phone with dots', text: 'call 212.555.1234', want: 'call [PHONE]' },
    { note: 'NANP phone with country code', text: 'call +1 212 555 1234', want: 'call [PHONE]' },
    { note: 'international phone', text: 'ring +44 20 7946 0958 today', want: 'ring [PHONE] today' },
    { note: 'international phone, dashes', text: 'ring +49-30-123456', want: 'ring [PHONE]' },
    { note: 'not a phone: short number', text: 'order 12345 shipped', want: 'order 12345 shipped' },
    { note: 'not a phone: area code starting 1', text: 'id 123-555-1234', want: 'id 123-555-1234' },
    { note: 'SSN with dashes', text: 'ssn 123-45-6789', want: 'ssn [US_SSN]' },
    { note: 'SSN with spaces', text: 'ssn 123 45 6789', want: 'ssn [US_SSN]' },
    { note: 'SSN area 000 never issued', text: 'ssn 000-12-3456', want: 'ssn 000-12-3456' },
    { note: 'SSN area 666 never issued', text: 'ssn 666-12-3456', want: 'ssn 666-12-3456' },
    { note: 'SSN area 9xx never issued', text: 'ssn 912-12-3456', want: 'ssn 912-12-3456' },
    { note: 'SSN group 00 never issued', text: 'ssn 123-00-4567', want: 'ssn 123-00-4567' },
    { note: 'SSN serial 0000 never issued', text: 'ssn 123-45-0000', want: 'ssn 123-45-0000' },
    { note: 'SSN mixed separators is not an SSN', text: 'ref 123-45 6789', want: 'ref 123-45 6789' },
    { note: 'Visa test card, plain', text: 'card 4111111111111111', want: 'card [CREDIT_CARD]' },
    { note: 'Visa card with spaces', text: 'card 4111 1111 1111 1111 ok', want: 'card [CREDIT_CARD] ok' },
    { note: 'Mastercard with dashes', text: 'card 5555-5555-5555-4444', want: 'card [CREDIT_CARD]' },
    { note: 'Amex 15 digits', text: 'amex 3782 822463 10005', want: 'amex [CREDIT_CARD]' },
    {
      note: 'card failing Luhn is left alone',
      text: 'card 4111 1111 1111 1112',
      want: 'card 4111 1111 1111 1112',
    },
    { note: 'long plain number failing Luhn', text: 'ref 1234567890123456', want: 'ref 1234567890123456' },
    { note: 'IBAN DE with spaces', text: 'pay DE89 3704 0044 0532 0130 00 now', want: 'pay [IBAN] now' },
    { note: 'IBAN GB compact', text: 'pay GB82WEST12345698765432.', want: 'pay [IBAN].' },
    {
      note: 'IBAN bad checksum',
      text: 'pay DE88 3704 0044 0532 0130 00',
      want: 'pay DE88 3704 0044 0532 0130 00',
    },
    {
      note: 'IBAN wrong length for country',
      text: 'pay GB82WEST1234569876543',
      want: 'pay GB82WEST1234569876543',
    },
    { note: 'IPv4', text: 'host 192.168.0.1.', want: 'host [IP_ADDRESS].' },
    {
      note: 'not IPv4: octet over 255',
      text: 'host 999.1.1.1 and 1.2.3.256',
      want: 'host 999.1.1.1 and 1.2.3.256',
    },
    { note: 'IPv6 compressed', text: 'host fe80::1 up', want: 'host [IP_ADDRESS] up' },
    { note: 'IPv6 full', text: 'at 2001:0db8:85a3:0000:0000:8a2e:0370:7334', want: 'at [IP_ADDRESS]' },
    { note: 'not IPv6: a clock time', text: 'at 12:30:45 sharp', want: 'at 12:30:45 sharp' },
    { note: 'not IPv6: C++ scope', text: 'use std::vector here', want: 'use std::vector here' },
    {
      note: 'several entities in one text',
      text: 'a@b.io, 4111-1111-1111-1111 from 10.0.0.1',
      want: '[EMAIL], [CREDIT_CARD] from [IP_ADDRESS]',
    },
  ];
  for (const c of cases)
    test(c.note, () => {
      const r = masker([c.text]);
      expect(r.outcome).toBe('pass');
      expect(r.outcome === 'pass' && r.texts ? r.texts[0] : c.text).toBe(c.want);
    });
});

describe('pii block', () => {
  test('fails with redacted findings, never the value', () => {
    const r = blocker(['write to john@example.com', 'card 4111 1111 1111 1111']);
    expect(r).toEqual({
      outcome: 'fail',
      detail: 'PII detected: CREDIT_CARD, EMAIL',
      findings: [
        { type: 'EMAIL', redacted: 'j***@e***.com' },
        { type: 'CREDIT_CARD', redacted: '****1111' },
      ],
    });
  });
  test('clean text passes with no rewrite', () => {
    expect(blocker(['hello there, nothing to see'])).toEqual({ outcome: 'pass' });
  });
  test('entities limits what is looked for', () => {
    const onlyEmail = checkOf({ entities: ['EMAIL'], action: 'mask' });
    expect(onlyEmail(['a@b.io 4111111111111111'])).toEqual({
      outcome: 'pass',
      texts: ['[EMAIL] 4111111111111111'],
    });
  });
});

describe('checksums', () => {
  const cases = [
    { note: 'Luhn valid Visa', ok: luhnValid('4111111111111111'), want: true },
    { note: 'Luhn valid Amex', ok: luhnValid('378282246310005'), want: true },
    { note: 'Luhn off by one', ok: luhnValid('4111111111111112'), want: false },
    { note: 'IBAN valid NL', ok: ibanChecksumValid('NL91ABNA0417164300'), want: true },
    { note: 'IBAN valid FR', ok: ibanChecksumValid('FR1420041010050500013M02606'), want: true },
    { note: 'IBAN swapped digits', ok: ibanChecksumValid('NL91ABNA0417164030'), want: false },
  ];
  for (const c of cases) test(c.note, () => expect(c.ok).toBe(c.want));
});

describe('pii config', () => {
  const cases = [
    { note: 'unknown entity', config: { entities: ['EMAIL', 'PASSPORT'] }, path: 'spec.config.entities[1]' },
    { note: 'empty entity list', config: { entities: [] }, path: 'spec.config.entities' },
    { note: 'bad action', config: { action: 'redact' }, path: 'spec.config.action' },
    { note: 'unknown field', config: { entity: ['EMAIL'] }, path: 'spec.config.entity' },
  ];
  for (const c of cases)
    test(c.note, () => {
      const r = compile(c.config);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.issues.map((i) => [i.code, i.path])).toEqual([['invalid_guardrail', c.path]]);
    });
});

describe('IPv6 parsing agrees with net.isIPv6', async () => {
  const { isIPv6 } = await import('node:net');
  const { isIPv6Address } = await import('../../../src/guardrails/pii-detectors.ts');
  const fc = (await import('fast-check')).default;
  const cases = [
    'fe80::1',
    '::',
    '::1',
    '1::',
    '1:2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7::',
    '1::2::3',
    '::ffff:1.2.3.4',
    '1:2:3:4:5:6:1.2.3.4',
    '1:2:3:4:5:6:7:1.2.3.4',
    '12345::1',
    'g::1',
    '1.2.3.4',
    ':1:2',
    '1:2:',
    '::01.2.3.4',
    '::1.2.3.256',
  ];
  for (const c of cases) test(c, () => expect(isIPv6Address(c)).toBe(isIPv6(c)));
  test('random candidates', () => {
    const piece = fc.constantFrom(
      ':',
      '::',
      '0',
      '1',
      'ff',
      'abcd',
      '12345',
      '.',
      '1.2.3.4',
      '255',
      '256',
      'g',
      '01',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (p) => {
        const s = p.join('');
        expect(isIPv6Address(s)).toBe(isIPv6(s));
      }),
      { numRuns: 3000, seed: 7 },
    );
  });
});
