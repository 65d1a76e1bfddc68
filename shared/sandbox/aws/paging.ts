import { z } from 'zod';
import { AwsApiError, decodeToken, encodeToken } from './protocol.js';

/** `MaxResults` as SageMaker validates it. */
export const maxResults = (max: number) =>
  z.number().int().min(1, 'Member must have value greater than or equal to 1').max(max, `Member must have value less than or equal to ${max}`);

/** Offset pagination with a token bound to the request's other fields, so it cannot be replayed on another request. */
export function pageOf<T>(items: readonly T[], input: { NextToken?: string | undefined; MaxResults?: number | undefined }, pageSize: number): { page: T[]; next?: string } {
  const { NextToken, MaxResults, ...rest } = input;
  void MaxResults;
  const fingerprint = JSON.stringify(rest);
  let offset = 0;
  if (NextToken !== undefined) {
    const decoded = decodeToken(NextToken, fingerprint);
    if (decoded === undefined) throw new AwsApiError('validation', 'Invalid pagination token.');
    offset = decoded;
  }
  const page = items.slice(offset, offset + pageSize);
  const end = offset + page.length;
  return end < items.length ? { page, next: encodeToken(end, fingerprint) } : { page };
}

/** Compares strings by code unit, as the listings sort names. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorts by a key and order, names breaking ties. */
export function sortBy<T extends { name: string }>(items: Iterable<T>, key: (t: T) => number | string, order: 'Ascending' | 'Descending'): T[] {
  const sign = order === 'Ascending' ? 1 : -1;
  return [...items].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    const primary = typeof ka === 'number' && typeof kb === 'number' ? ka - kb : cmp(String(ka), String(kb));
    return sign * (primary || cmp(a.name, b.name));
  });
}
