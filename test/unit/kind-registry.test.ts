import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../shared/actions/index.js';
import type { Cloud } from '../../shared/domain/resource.js';
import { KindRegistry, type KindModule } from '../../shared/providers/kind.js';
import { awsKindRegistry } from '../../shared/providers/aws/kinds/index.js';
import { gcpKindRegistry } from '../../shared/providers/gcp/kinds/index.js';

/** Every cloud's kind registry; a cloud whose actions are declared must be listed here. */
const REGISTRIES: Partial<Record<Cloud, KindRegistry<never, unknown>>> = {
  aws: awsKindRegistry() as unknown as KindRegistry<never, unknown>,
  gcp: gcpKindRegistry() as unknown as KindRegistry<never, unknown>,
};

describe('declared actions and kind modules agree', () => {
  it('every declared action belongs to a cloud whose registry is listed', () => {
    for (const a of ACTIONS) {
      const cloud = a.kind.split('.')[0] as Cloud;
      expect(REGISTRIES[cloud], `${a.kind}: no kind registry for ${cloud}`).toBeDefined();
      expect(a.resourceKind.startsWith(`${cloud}.`), `${a.kind} acts on ${a.resourceKind}, another cloud's kind`).toBe(true);
    }
  });

  for (const [cloud, registry] of Object.entries(REGISTRIES)) {
    describe(cloud, () => {
      const declared = ACTIONS.filter((a) => a.kind.startsWith(`${cloud}.`));

      it('performs exactly the actions declared in ACTIONS', () => {
        expect(registry.actionIds().sort()).toEqual(declared.map((a) => a.kind).sort());
      });

      it('each action is carried by the module of the resource kind it is declared for, undo exactly when reversible', () => {
        for (const d of declared) {
          const module = registry.module(d.resourceKind);
          const action = module.actions.find((a) => a.id === d.kind);
          expect(action, `${d.kind} is not an action of ${d.resourceKind}`).toBeDefined();
          expect(action?.undo !== undefined, `${d.kind}: reversible is ${d.reversible}`).toBe(d.reversible);
        }
      });

      it('lists each kind once, of its own cloud', () => {
        const kinds = registry.modules.map((m) => m.kind);
        expect(new Set(kinds).size).toBe(kinds.length);
        for (const k of kinds) expect(k.startsWith(`${cloud}.`)).toBe(true);
      });
    });
  }
});

describe('KindRegistry', () => {
  const module = (kind: `aws.${string}.${string}`, ...ids: string[]): KindModule<unknown> => ({
    kind,
    inventoryOperation: 'list',
    list: () => Promise.resolve([]),
    describe: () => Promise.resolve(undefined),
    actions: ids.map((id) => ({ id, capture: () => Promise.resolve({}), perform: () => Promise.resolve({ summary: id }) })),
  });

  it('refuses a kind listed twice and an action declared by two kinds', () => {
    expect(() => new KindRegistry('aws', [module('aws.x.a'), module('aws.x.a')])).toThrow(/listed twice/);
    expect(() => new KindRegistry('aws', [module('aws.x.a', 'act'), module('aws.x.b', 'act')])).toThrow(/two kinds/);
  });

  it('never hands out an action for a resource of another kind, nor an unknown kind', () => {
    const r = new KindRegistry('aws', [module('aws.x.a', 'act'), module('aws.x.b')]);
    expect(r.action('act', 'aws.x.a').id).toBe('act');
    expect(() => r.action('act', 'aws.x.b')).toThrow(/applies to aws.x.a, not aws.x.b/);
    expect(() => r.action('other', 'aws.x.a')).toThrow(/unsupported action other/);
    expect(() => r.module('aws.x.c')).toThrow(/unsupported resource kind/);
  });
});
