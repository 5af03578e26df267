/**
 * examples/argocd/health.lua run by a real Lua interpreter (fengari: Lua 5.3 in JS), as Argo CD
 * runs it: `obj` is the live object, the script returns `{status, message}`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO } from './railyard-process.ts';

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

/** What Argo CD's health check says of `obj` (a railyard.dev object as JSON). */
export function argoHealth(obj: unknown): { status: string; message: string } {
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
