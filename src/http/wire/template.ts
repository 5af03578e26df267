/** Policy templates in the shape LiteLLM's dashboard reads (`GET /policy/templates`). */
import { guardrailNameOf, policyNameOf } from '../../engine/index.ts';
import { TEMPLATE_COMPLEXITIES, type Template } from '../../templates/index.ts';
import { type FromSchema, object, STRING, STRINGS } from './schema.ts';

const GUARDRAIL_DEFINITION = object(
  {
    guardrail_name: STRING,
    litellm_params: object({ guardrail: STRING, mode: STRING, default_on: { type: 'boolean' } }, [
      'guardrail',
      'mode',
      'default_on',
    ]),
    guardrail_info: object({ description: STRING }),
  },
  ['guardrail_name', 'litellm_params', 'guardrail_info'],
);

export const POLICY_TEMPLATE = object(
  {
    id: STRING,
    title: STRING,
    description: STRING,
    region: STRING,
    icon: STRING,
    iconColor: STRING,
    iconBg: STRING,
    guardrails: STRINGS,
    complexity: { enum: TEMPLATE_COMPLEXITIES },
    guardrailDefinitions: { type: 'array', items: GUARDRAIL_DEFINITION },
    templateData: object(
      {
        policy_name: STRING,
        description: STRING,
        inherit: { type: ['string', 'null'] },
        guardrails_add: STRINGS,
        guardrails_remove: STRINGS,
      },
      ['policy_name', 'description', 'inherit', 'guardrails_add', 'guardrails_remove'],
    ),
    yaml: STRING,
  },
  [
    'id',
    'title',
    'description',
    'region',
    'icon',
    'iconColor',
    'iconBg',
    'guardrails',
    'complexity',
    'guardrailDefinitions',
    'templateData',
    'yaml',
  ],
);

export const POLICY_TEMPLATES_RESPONSE = { type: 'array', items: POLICY_TEMPLATE } as const;

const LOOK: Readonly<Record<Template['complexity'], { iconColor: string; iconBg: string }>> = {
  Low: { iconColor: 'text-blue-500', iconBg: 'bg-blue-50' },
  Medium: { iconColor: 'text-purple-500', iconBg: 'bg-purple-50' },
  High: { iconColor: 'text-red-500', iconBg: 'bg-red-50' },
};

/** One template: its guardrails as definitions, its policy as the data of a policy form, its YAML. */
export function toWireTemplate(t: Template): FromSchema<typeof POLICY_TEMPLATE> {
  const description = t.policy.spec.description ?? '';
  return {
    id: t.id,
    title: t.title,
    description,
    region: t.region,
    icon: 'ShieldCheckIcon',
    ...LOOK[t.complexity],
    guardrails: t.guardrails.map(guardrailNameOf),
    complexity: t.complexity,
    guardrailDefinitions: t.guardrails.map((g) => ({
      guardrail_name: guardrailNameOf(g),
      litellm_params: { guardrail: g.spec.type, mode: g.spec.mode, default_on: false },
      guardrail_info: g.spec.description ? { description: g.spec.description } : {},
    })),
    templateData: {
      policy_name: policyNameOf(t.policy),
      description,
      inherit: t.policy.spec.inherit ?? null,
      guardrails_add: [...t.policy.spec.guardrails.add],
      guardrails_remove: [...t.policy.spec.guardrails.remove],
    },
    yaml: t.text,
  };
}
