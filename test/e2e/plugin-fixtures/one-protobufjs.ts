// Workaround for this install's layout, not for the library: npm nests two copies of protobufjs 8
// (under @temporalio/common and @temporalio/proto; the root holds protobufjs 7 for grpc), and the
// SDK's external storage checks `instanceof Type` across them ("type must be a Type"). Load this
// module before any @temporalio package so @temporalio/proto uses @temporalio/common's copy.
import Module from 'node:module';
import path from 'node:path';

const commonDir = path.dirname(require.resolve('@temporalio/common/package.json'));
type Resolve = (request: string, parent: { filename?: string } | undefined, isMain: boolean, options?: { paths?: string[] }) => string;
const loader = Module as unknown as { _resolveFilename: Resolve };
const original = loader._resolveFilename;
loader._resolveFilename = function (request, parent, isMain, options) {
  if (
    (request === 'protobufjs' || request.startsWith('protobufjs/')) &&
    parent?.filename?.includes(`${path.sep}@temporalio${path.sep}proto${path.sep}`)
  ) {
    return original.call(this, request, parent, isMain, { paths: [commonDir] });
  }
  return original.call(this, request, parent, isMain, options);
};
