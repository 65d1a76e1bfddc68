import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../shared/focus/csv.js';
import { parseFocusTime, readFocusCsv } from '../../shared/focus/focus-csv.js';

const SAMPLE = new URL('../fixtures/focus/focus-1.0_sample_official_1000.csv', import.meta.url);

describe('readFocusCsv on the official FOCUS 1.0 sample', () => {
  it('reads all 1,000 rows, 942 of them AWS, in USD', async () => {
    const text = await readFile(SAMPLE, 'utf8');

    const all = readFocusCsv(text);
    const aws = readFocusCsv(text, { providerName: 'aws' });

    expect(all).toHaveLength(1000);
    expect(aws).toHaveLength(942);
    expect(new Set(all.map((r) => r.ProviderName))).toEqual(new Set(['AWS', 'Microsoft', 'Oracle']));
    expect(new Set(all.map((r) => r.BillingCurrency))).toEqual(new Set(['USD']));
  });

  it('reads unquoted NULL as absent, space-separated timestamps as UTC and doubled-quote JSON tags', async () => {
    const rows = readFocusCsv(await readFile(SAMPLE, 'utf8'));

    // Line 2 of the file: Tags is NULL; line 3: Tags {"application": "BrightLensMatrix", ...}.
    const [first, second] = rows;
    expect(first).toMatchObject({
      ServiceName: 'Amazon Simple Queue Service',
      SubAccountId: '51738928782',
      RegionId: 'us-west-2',
      BilledCost: 0.0000008,
      ChargePeriodStart: new Date('2024-09-18T22:00:00Z'),
      ChargePeriodEnd: new Date('2024-09-18T23:00:00Z'),
      Tags: {},
    });
    expect(second?.Tags).toEqual({ application: 'BrightLensMatrix', environment: 'dev', business_unit: 'ViennaAI' });
    expect(second?.EffectiveCost).toBe(0);
    expect(rows.every((r) => r.ChargePeriodStart >= new Date('2024-09-01T00:00:00Z') && r.ChargePeriodEnd <= new Date('2024-10-01T00:00:00Z'))).toBe(true);
  });

  it('gives spend per service that adds up to the file total', async () => {
    const text = await readFile(SAMPLE, 'utf8');
    const aws = readFocusCsv(text, { providerName: 'AWS' });
    // The total straight from the BilledCost column of the AWS lines, without the reader.
    const table = parseCsv(text);
    const billed = table.header.indexOf('BilledCost');
    const provider = table.header.indexOf('ProviderName');
    const direct = table.rows.filter((r) => r[provider] === 'AWS').reduce((s, r) => s + Number(r[billed]), 0);

    const byService = new Map<string, number>();
    for (const r of aws) byService.set(r.ServiceName ?? '', (byService.get(r.ServiceName ?? '') ?? 0) + r.BilledCost);

    expect([...byService.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(direct, 9);
    expect([...byService.entries()].sort((a, b) => b[1] - a[1])[0]?.[0]).toBe('Amazon Elastic Compute Cloud');
  });
});

describe('readFocusCsv problems', () => {
  const header = 'ProviderName,BillingCurrency,BilledCost,EffectiveCost,ChargePeriodStart,ChargePeriodEnd,ServiceName,Tags';

  it('names the line and column of a value that is not a number', () => {
    const text = `${header}\nAWS,USD,1.5,1.5,2024-09-01 00:00:00,2024-09-02 00:00:00,"S3",NULL\nAWS,USD,abc,1,2024-09-01 00:00:00,2024-09-02 00:00:00,"S3",NULL\n`;

    expect(() => readFocusCsv(text, { file: 'costs.csv' })).toThrow('costs.csv:3: BilledCost: not a number: "abc"');
  });

  it('refuses a file without the required FOCUS columns, naming them', () => {
    expect(() => readFocusCsv('ProviderName,BilledCost\nAWS,1\n')).toThrow(/missing FOCUS columns BillingCurrency, EffectiveCost, ChargePeriodStart, ChargePeriodEnd/);
  });

  it('refuses tags that are not a JSON object and timestamps that are not dates', () => {
    expect(() => readFocusCsv(`${header}\nAWS,USD,1,1,2024-09-01 00:00:00,2024-09-02 00:00:00,S3,"[1,2]"\n`)).toThrow(/:2: Tags: not a JSON object/);
    expect(() => readFocusCsv(`${header}\nAWS,USD,1,1,2024-02-30 00:00:00,2024-03-01 00:00:00,S3,NULL\n`)).toThrow(/:2: ChargePeriodStart: not a timestamp/);
  });

  it('refuses a row with too few cells and an unclosed quote, with the line', () => {
    expect(() => parseCsv('a,b\n1\n')).toThrow('line 2: 1 cells, but the header has 2 columns');
    expect(() => parseCsv('a,b\n"1,2\n')).toThrow('line 2: a quoted cell is not closed');
  });
});

describe('parseCsv and parseFocusTime', () => {
  it('keeps commas, line breaks and quotes inside quoted cells, and "NULL" in quotes as text', () => {
    const t = parseCsv('a,b,c\r\n"x, y","line1\nline2","say ""hi"""\r\nNULL,"NULL",\r\n');

    expect(t.rows).toEqual([
      ['x, y', 'line1\nline2', 'say "hi"'],
      [null, 'NULL', ''],
    ]);
    expect(t.lines).toEqual([2, 4]);
  });

  it('reads the FOCUS sample spelling, ISO with a zone and a bare date', () => {
    expect(parseFocusTime('2024-09-01 00:00:00')).toEqual(new Date('2024-09-01T00:00:00Z'));
    expect(parseFocusTime('2024-09-01T02:00:00+02:00')).toEqual(new Date('2024-09-01T00:00:00Z'));
    expect(parseFocusTime('2024-09-01')).toEqual(new Date('2024-09-01T00:00:00Z'));
    expect(parseFocusTime('yesterday')).toBeUndefined();
  });
});
