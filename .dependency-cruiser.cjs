/**
 * The import boundaries of src/ (run by `npm run check`):
 * - the engine is pure: it imports nothing of the project outside itself and no I/O module;
 * - another folder is entered only through its index.ts (a subfolder such as sources/kubernetes
 *   has an index of its own, so the Kubernetes client loads only where it is needed);
 * - folders depend one way, from the bottom of LAYERS up, so a change travels
 *   sources → reconcile → registry → serve with no hop back.
 */
const LAYERS = [
  ['time', 'observability'],
  ['engine'],
  ['schema'],
  ['resources', 'guardrails'],
  ['kube'],
  ['sources', 'store', 'templates', 'usage'],
  ['registry'],
  ['reconcile'],
  ['operator', 'enforce'],
  ['http'],
  ['litellm'],
  ['cli'],
];

const above = (i) => LAYERS.slice(i + 1).flat();

module.exports = {
  forbidden: [
    {
      name: 'engine-is-pure',
      comment: 'The engine (src/engine) takes its world as arguments: no other project folder, no I/O.',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: {
        pathNot: ['^src/engine/', '^node_modules/', '^crypto$', '^node:crypto$'],
      },
    },
    {
      name: 'engine-no-io-packages',
      comment: 'The engine may use pure libraries only.',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { dependencyTypes: ['core'], pathNot: ['^crypto$', '^node:crypto$'] },
    },
    {
      name: 'through-index-only',
      comment: 'Import another folder through its index.ts, never one of its files.',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/', pathNot: ['^src/$1/', '/index\\.ts$'] },
    },
    ...LAYERS.flatMap((layer, i) =>
      layer.map((folder) => ({
        name: `layer-${folder}`,
        comment: `src/${folder} may import only folders below it (see LAYERS in .dependency-cruiser.cjs).`,
        severity: 'error',
        from: { path: `^src/${folder}/` },
        to: { path: `^src/(${[...above(i), ...layer.filter((f) => f !== folder)].join('|')})/` },
      })),
    ),
    {
      name: 'no-circular',
      comment:
        'A cycle of runtime imports makes module initialisation order matter (type-only imports are erased).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
