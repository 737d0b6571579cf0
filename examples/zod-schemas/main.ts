// npx tsx examples/zod-schemas/main.ts
import { runZodExample } from './run';

runZodExample().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
