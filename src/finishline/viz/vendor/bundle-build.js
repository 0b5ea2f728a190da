// Builds plotly-finishline-<version>.min.js: plotly.js core (scatter) + bar + heatmap.
// Run in a folder with `npm install plotly.js@4.1.1 esbuild@0.28.2` done: `node build.js`.
const version = require('plotly.js/package.json').version;
require('esbuild').build({
  entryPoints: ['bundle-entry.js'],
  outfile: `plotly-finishline-${version}.min.js`,
  format: 'iife',
  globalName: 'Plotly',
  bundle: true,
  minify: true,
  legalComments: 'eof',
  target: 'es2016',
  banner: { js: `/* plotly.js v${version} partial bundle (scatter, bar, heatmap) for finishline; MIT License, Copyright (c) Plotly Technologies Inc. */` },
  footer: { js: 'window.Plotly = Plotly;' },
  define: { global: 'window', 'define.amd': 'false', 'process.env.NODE_DEBUG': 'false' },
  alias: { stream: 'stream-browserify' },
  logLevel: 'info',
}).catch(() => process.exit(1));
