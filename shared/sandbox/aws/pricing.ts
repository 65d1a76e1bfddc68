import type { GetProductsResponse } from '@aws-sdk/client-pricing';
import { z } from 'zod';
import type { AwsBillingState } from './billing-state.js';
import { decodeToken, encodeToken, parseInput } from './protocol.js';
import { ServiceError } from './service-error.js';

/*
 * The AWS Price List API (JSON 1.1, `X-Amz-Target: AWSPriceListService.<Op>`): GetProducts over
 * the world's `aws.priceList`, each product a JSON document in the Price List format.
 */

const getProductsInput = z.object({
  ServiceCode: z.string().min(1),
  Filters: z.array(z.object({ Type: z.enum(['TERM_MATCH', 'EQUALS', 'CONTAINS', 'ANY_OF', 'NONE_OF']), Field: z.string().min(1), Value: z.string() })).optional(),
  FormatVersion: z.string().optional(),
  NextToken: z.string().optional(),
  MaxResults: z.number().int().min(1).max(100).optional(),
});

/** What a Price List handler sees. */
export interface PricingCallContext {
  readonly billing: AwsBillingState;
}

type Out<T> = Omit<T, '$metadata'>;

function matches(attrs: Readonly<Record<string, string>>, serviceCode: string, f: { Type: string; Field: string; Value: string }): boolean {
  const actual = f.Field === 'ServiceCode' ? serviceCode : attrs[f.Field];
  switch (f.Type) {
    case 'TERM_MATCH':
    case 'EQUALS':
      return actual === f.Value;
    case 'CONTAINS':
      return actual !== undefined && actual.includes(f.Value);
    case 'ANY_OF':
      return actual !== undefined && f.Value.split(',').map((v) => v.trim()).includes(actual);
    case 'NONE_OF':
      return actual === undefined || !f.Value.split(',').map((v) => v.trim()).includes(actual);
    default:
      return false;
  }
}

function getProducts(ctx: PricingCallContext, body: unknown): Out<GetProductsResponse> {
  const input = parseInput(getProductsInput, body);
  if (input.FormatVersion !== undefined && input.FormatVersion !== 'aws_v1') throw new ServiceError('InvalidParameterException', 400, `Invalid FormatVersion ${input.FormatVersion}: only aws_v1 is supported.`);
  const products = ctx.billing.products.get(input.ServiceCode) ?? [];
  const found = products.filter((p) => (input.Filters ?? []).every((f) => matches(p.attributes, input.ServiceCode, f)));
  const { NextToken, MaxResults, ...rest } = input;
  const fingerprint = JSON.stringify(rest);
  let offset = 0;
  if (NextToken !== undefined) {
    const o = decodeToken(NextToken, fingerprint);
    if (o === undefined) throw new ServiceError('InvalidNextTokenException', 400, 'The NextToken is not valid.');
    offset = o;
  }
  const size = MaxResults ?? 100;
  const next = offset + size < found.length ? encodeToken(offset + size, fingerprint) : undefined;
  return {
    FormatVersion: 'aws_v1',
    // The SDK reads each entry as a JSON document in a string, exactly as the service sends it.
    PriceList: found.slice(offset, offset + size).map((p) => p.json) as unknown as GetProductsResponse['PriceList'],
    ...(next ? { NextToken: next } : {}),
  };
}

/** The Price List operations the sandbox serves. */
export const PRICING_OPERATIONS = {
  GetProducts: getProducts,
} as const satisfies Record<string, (ctx: PricingCallContext, body: unknown) => object>;
