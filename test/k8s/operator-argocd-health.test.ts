/**
 * examples/argocd/health.lua run by a real Lua interpreter (fengari: Lua 5.3 in JS), as Argo CD
 * runs it: `obj` is the live object, the script returns `{status, message}`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO } from '../support/railyard-process.ts';

type LuaState = unknown;
type Fengari = {
  lua: {
    lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
    lua_getfield(L: LuaState, index: number, key: Uint8Array): number;
    lua_tojsstring(L: LuaState, index: number): string;
    lua_pop(L: LuaState, n: number): void;
    LUA_OK: number;
  };
  lauxlib: { luaL_newstate(): LuaState; luaL_loadstring(L: LuaState, code: Uint8Array): number };
  lualib: { luaL_openlibs(L: LuaState): void };
  to_luastring(s: string): Uint8Array;
};

const fengari = createRequire(import.meta.url)('fengari') as Fengari;
const SCRIPT = readFileSync(join(REPO, 'examples/argocd/health.lua'), 'utf8');

/** A JSON value as a Lua literal (arrays become sequences, as Argo CD's conversion does). */
function luaLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `{${v.map(luaLiteral).join(', ')}}`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `[${JSON.stringify(k)}] = ${luaLiteral(x)}`)
    .join(', ')}}`;
}

function health(obj: unknown): { status: string; message: string } {
  const { lua, lauxlib, lualib, to_luastring } = fengari;
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  const code = `local obj = ${luaLiteral(obj)}\nreturn (function()\n${SCRIPT}\nend)()`;
  if (
    lauxlib.luaL_loadstring(L, to_luastring(code)) !== lua.LUA_OK ||
    lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK
  ) {
    throw new Error(lua.lua_tojsstring(L, -1));
  }
  lua.lua_getfield(L, -1, to_luastring('status'));
  const status = lua.lua_tojsstring(L, -1);
  lua.lua_pop(L, 1);
  lua.lua_getfield(L, -1, to_luastring('message'));
  const message = lua.lua_tojsstring(L, -1);
  return { status, message };
}

const cond = (type: string, status: string, reason: string, message: string) => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: '2025-01-01T00:00:00Z',
});

const CASES = [
  {
    note: 'no status yet: Progressing',
    obj: { metadata: { name: 'p', generation: 1 } },
    want: { status: 'Progressing' },
  },
  {
    note: 'status of an older generation: Progressing',
    obj: {
      metadata: { generation: 3 },
      status: {
        observedGeneration: 2,
        conditions: [cond('Ready', 'True', 'InProduction', 'Version 2 is in production')],
      },
    },
    want: { status: 'Progressing', message: 'Railyard has not reconciled generation 3 yet' },
  },
  {
    note: 'conditions without Ready: Progressing',
    obj: {
      metadata: { generation: 1 },
      status: { observedGeneration: 1, conditions: [cond('Accepted', 'True', 'Valid', 'ok')] },
    },
    want: { status: 'Progressing' },
  },
  {
    note: 'Ready=True: Healthy with its message',
    obj: {
      metadata: { generation: 2 },
      status: {
        observedGeneration: 2,
        conditions: [
          cond('Accepted', 'True', 'Valid', 'The spec is valid'),
          cond('Ready', 'True', 'InProduction', 'Version 2 is in production'),
        ],
      },
    },
    want: { status: 'Healthy', message: 'Version 2 is in production' },
  },
  {
    note: 'invalid spec: Degraded with the Accepted message',
    obj: {
      metadata: { generation: 1 },
      status: {
        observedGeneration: 1,
        conditions: [
          cond('Accepted', 'False', 'InvalidInheritance', 'spec.inherit: parent policy "x" not found'),
          cond('Ready', 'False', 'InvalidSpec', 'Not applied: nothing from it is in force'),
        ],
      },
    },
    want: { status: 'Degraded', message: 'spec.inherit: parent policy "x" not found' },
  },
  {
    note: 'a valid draft: Progressing, waiting for the promotion',
    obj: {
      metadata: { generation: 1 },
      status: {
        observedGeneration: 1,
        conditions: [
          cond('Accepted', 'True', 'Valid', 'The spec is valid'),
          cond('Ready', 'False', 'NoProductionVersion', 'Version 1 is draft'),
        ],
      },
    },
    want: { status: 'Progressing', message: 'Version 1 is draft' },
  },
];

describe('examples/argocd/health.lua', () => {
  for (const c of CASES) {
    test(c.note, () => expect(health(c.obj)).toMatchObject(c.want));
  }
});
