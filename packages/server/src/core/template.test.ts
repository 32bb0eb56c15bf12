import { describe, expect, it } from 'vitest';
import { missingTokens, renderTemplate, templateTokens } from './template.ts';

const lead: Record<string, unknown> = {
  FirstName: 'Ada',
  firstname: 'lower-case column',
  'First Name': 'Ada L.',
  'addr.city': 'London',
  'zip-code': '12345',
  Age: 36,
  Score: 0,
  Ratio: 0.5,
  Big: 12345678901234567890n,
  Active: true,
  Opted: false,
  Empty: '',
  Nothing: null,
  Undef: undefined,
  Tags: ['a', 'b'],
  Meta: { a: 1 },
  When: new Date('2025-03-04T11:33:52.948Z'),
  NotANumber: Number.NaN,
  Forever: Number.POSITIVE_INFINITY,
};

describe('renderTemplate', () => {
  it.each([
    ['Hi {{FirstName}}!', 'Hi Ada!'],
    ['Hi {{ FirstName }}!', 'Hi Ada!'],
    ['Hi {{\tFirstName\n}}!', 'Hi Ada!'],
    ['Hi {{firstname}}', 'Hi lower-case column'], // case-sensitive: a different column
    ['Hi {{FIRSTNAME}}', 'Hi '], // no such column
    ['Hi {{First Name}}', 'Hi Ada L.'],
    ['Hi {{  First Name  }}', 'Hi Ada L.'],
    ['From {{addr.city}}', 'From London'],
    ['Zip {{zip-code}}', 'Zip 12345'],
    ['{{FirstName}}{{FirstName}}', 'AdaAda'],
    ['{{FirstName}} is {{Age}}', 'Ada is 36'],
    ['no tokens at all', 'no tokens at all'],
    ['', ''],
  ])('%j → %j', (template, expected) => {
    expect(renderTemplate(template, lead)).toBe(expected);
  });

  it.each([
    ['Age', '36'],
    ['Score', '0'], // falsy numbers still render
    ['Ratio', '0.5'],
    ['Big', '12345678901234567890'],
    ['Active', 'true'],
    ['Opted', 'false'],
    ['Empty', ''],
    ['Nothing', ''],
    ['Undef', ''],
    ['Missing', ''],
    ['Tags', ''],
    ['Meta', ''],
    ['When', ''],
    ['NotANumber', ''],
    ['Forever', ''],
  ])('value of %s renders as %j', (column, expected) => {
    expect(renderTemplate(`[{{${column}}}]`, lead)).toBe(`[${expected}]`);
  });

  it.each([
    ['{{}}', '{{}}'],
    ['{{   }}', '{{   }}'],
    ['{{FirstName', '{{FirstName'],
    ['FirstName}}', 'FirstName}}'],
    ['{FirstName}', '{FirstName}'],
    ['{{{FirstName}}}', '{Ada}'],
    ['{{First{Name}}', '{{First{Name}}'],
    ['{{ {{FirstName}} }}', '{{ Ada }}'],
  ])('keeps text that is not a placeholder: %j → %j', (template, expected) => {
    expect(renderTemplate(template, lead)).toBe(expected);
  });

  it('does not read inherited properties', () => {
    expect(renderTemplate('{{constructor}}{{toString}}{{__proto__}}', {})).toBe('');
  });

  it('does not treat replacement patterns in values specially', () => {
    expect(renderTemplate('{{A}}', { A: '$& $1 $$' })).toBe('$& $1 $$');
  });

  it('does not re-expand placeholders that appear inside values', () => {
    expect(renderTemplate('{{A}}', { A: '{{B}}', B: 'x' })).toBe('{{B}}');
  });
});

describe('templateTokens', () => {
  it.each([
    ['', []],
    ['plain text', []],
    ['{{A}}', ['A']],
    ['{{ A }} and {{A}}', ['A']],
    ['{{B}} {{A}} {{B}} {{C}}', ['B', 'A', 'C']],
    ['{{First Name}} {{first name}}', ['First Name', 'first name']],
    ['{{a.b}} {{c-d}} {{ e f }}', ['a.b', 'c-d', 'e f']],
    ['{{}} {{ }} {{x', []],
  ])('%j → %j', (template, expected) => {
    expect(templateTokens(template)).toEqual(expected);
  });
});

describe('missingTokens', () => {
  const columns = ['FirstName', 'Last Name', 'Zip'];
  it.each([
    ['Hi {{FirstName}}', []],
    ['Hi {{ FirstName }} {{Last Name}} {{Zip}}', []],
    ['Hi {{firstname}}', ['firstname']],
    ['{{City}} {{FirstName}} {{State}} {{City}}', ['City', 'State']],
    ['no tokens', []],
  ])('%j → %j', (template, expected) => {
    expect(missingTokens(template, columns)).toEqual(expected);
  });

  it('reports every token when there are no columns', () => {
    expect(missingTokens('{{A}} {{B}}', [])).toEqual(['A', 'B']);
  });
});
