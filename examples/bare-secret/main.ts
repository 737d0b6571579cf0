// npx tsx examples/bare-secret/main.ts
import { runBareSecretExample } from './run';

runBareSecretExample().then(
  (out) => {
    console.log(`\nresult: ${out.result}`);
    process.exit(0);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
