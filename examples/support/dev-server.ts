// The examples start the same embedded Temporal dev server as the test suite (one implementation, in test/support).
export { startDevServer, freePort, type DevServer, type DevServerOptions } from '../../test/support/dev-server';
