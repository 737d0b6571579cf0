// Entry of the `sealed-fields` bin (dist/cli.js): runs the command and sets the exit code.
import { processIo } from './io';
import { runCli } from './run';

runCli(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
