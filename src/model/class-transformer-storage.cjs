// CommonJS on purpose, so that a bundler can include both builds of class-transformer.
// class-transformer keeps @Type metadata in a per-build module: Node loads its cjs build,
// webpack (the Temporal workflow bundler) its esm5 build. We read whichever the user's decorators filled.
'use strict';
const storages = [];
try {
  storages.push(require('class-transformer/cjs/storage').defaultMetadataStorage);
} catch (_) {
  // class-transformer is optional at runtime.
}
// __webpack_require__ exists only inside a webpack bundle (the workflow sandbox); typeof keeps it safe elsewhere.
if (typeof __webpack_require__ === 'function') {
  try {
    storages.push(require('class-transformer/esm5/storage').defaultMetadataStorage);
  } catch (_) {
    // not bundled
  }
}
module.exports = { storages };
