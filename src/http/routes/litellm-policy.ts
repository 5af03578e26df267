/**
 * LiteLLM's routes beside `/policies` that its dashboard and scripts call: `POST /policy/validate`,
 * `GET /policy/info/{policy_name}`, `GET /policy/templates`, the guardrail catalog (`GET /v2/guardrails/list`,
 * `GET /guardrails/list`) and `POST /utils/test_policies_and_guardrails`.
 */

import type { Express, Request } from 'express';
import { byText } from '../../engine/index.ts';
import { applyGuardrails, type PolicyCandidate, policyApi, validatePolicies } from '../../registry/index.ts';
import { HttpError } from '../errors.ts';
import type { ServerDeps } from '../server.ts';
import {
  bodyParser,
  fromLitellmPolicyConfig,
  POLICY_VALIDATE_REQUEST,
  TEST_POLICIES_REQUEST,
  toWireGuardrail,
  toWireTemplate,
  toWireValidation,
} from '../wire/index.ts';
import { queryParam, readView, valueOrThrow } from './policies.ts';

const parseValidate = bodyParser(POLICY_VALIDATE_REQUEST);
const parseTest = bodyParser(TEST_POLICIES_REQUEST);

export function registerLitellmPolicyRoutes(api: Express, deps: ServerDeps): void {
  const ns = (req: Request) => queryParam(req, 'namespace');
  const namespaceOf = (req: Request) =>
    readView(deps, ns(req))?.namespace ?? ns(req) ?? deps.defaultNamespace;

  api.post('/policy/validate', (req, res) => {
    const body = parseValidate(req.body ?? {});
    const parsed = Object.entries(body.policies).map(([name, raw]) => ({
      name,
      content: fromLitellmPolicyConfig(raw, name),
    }));
    const candidates: PolicyCandidate[] = parsed.flatMap((p) =>
      p.content.ok ? [{ name: p.name, content: p.content.value }] : [],
    );
    const checked = validatePolicies(readView(deps, ns(req)), namespaceOf(req), candidates);
    const unparsed = parsed.flatMap((p) =>
      p.content.ok ? [] : [{ name: p.name, issues: p.content.issues }],
    );
    res.json(toWireValidation([...unparsed, ...checked]));
  });

  api.get('/policy/info/:policy_name', (req, res) => {
    const info = valueOrThrow(policyApi.policyInfo(readView(deps, ns(req)), req.params.policy_name));
    const { history, version } = info.entry;
    res.json({
      policy_name: history.name,
      inherit: version.content.inherit ?? null,
      scope: info.scope,
      guardrails: { add: version.content.guardrails.add, remove: version.content.guardrails.remove },
      resolved_guardrails: info.resolved,
      inheritance_chain: info.chain,
      policy_id: version.policyId,
      version_number: version.versionNumber,
      definition_location: history.origin.kind === 'api' ? 'db' : 'config',
    });
  });

  api.get('/policy/templates', (_req, res) => {
    res.json((deps.templates ?? []).map(toWireTemplate));
  });

  const catalog = (req: Request) => {
    const view = readView(deps, ns(req));
    return [...(view?.guardrails ?? [])]
      .sort(([a], [b]) => byText(a, b))
      .map(([name, spec]) => toWireGuardrail(view?.namespace ?? deps.defaultNamespace, name, spec));
  };
  api.get('/v2/guardrails/list', (req, res) => {
    res.json({ guardrails: catalog(req) });
  });
  api.get('/guardrails/list', (req, res) => {
    res.json({
      guardrails: catalog(req).map((g) => ({
        guardrail_name: g.guardrail_name,
        litellm_params: g.litellm_params,
        guardrail_info: g.guardrail_info,
      })),
    });
  });

  api.post('/utils/test_policies_and_guardrails', async (req, res) => {
    const body = parseTest(req.body ?? {});
    if (body.agent_id) {
      throw new HttpError(
        'bad_request',
        'agent_id: Railyard does not call models; test the guardrails without it (leave agent_id out)',
      );
    }
    const view = readView(deps, ns(req));
    const closed = new AbortController();
    res.once('close', () => closed.abort());
    const selection = { policies: body.policy_names ?? [], guardrails: body.guardrail_names ?? [] };
    const mode = body.input_type === 'response' ? 'post_call' : 'pre_call';
    const results = [];
    for (const inputs of body.inputs_list ?? []) {
      const applied = await applyGuardrails(view, selection, inputs.texts ?? [], mode, {
        signal: closed.signal,
      });
      results.push({
        inputs: inputs.texts ? { ...inputs, texts: [...applied.texts] } : inputs,
        guardrail_errors: applied.errors.map((e) => ({ guardrail_name: e.guardrail, message: e.message })),
      });
    }
    res.json({ results });
  });
}
