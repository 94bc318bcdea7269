import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { addPlinthStacks } from '../lib/plinth.ts';

const app = new App();

// Nothing account-specific is committed: the CLI fills these from the caller's profile.
addPlinthStacks(app, {
  // Built by `npm run console:build`; synth fails with that hint while it is missing.
  consoleAssetPath: fileURLToPath(new URL('../console/dist', import.meta.url)),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});

// cdk-nag 3 is a policy-validation plugin (it replaced v2's Aspect): any finding that is not
// acknowledged with Validations.of(construct).acknowledge() fails the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
