// Placeholder: replaced by the AWS Lambda dialect.
import type { Core } from '../../core/index.js';
import type { Dialect } from '../http.js';

export interface AwsLambdaDialectOptions {
  /** Default region when the request carries no SigV4 credential scope. */
  readonly defaultRegion: string;
  readonly accountId: string;
  /** Base URL of this hearth (for Code.Location), known once listening. */
  readonly publicUrl: () => string;
}

export function createAwsLambdaDialect(_core: Core, _opts: AwsLambdaDialectOptions): Dialect {
  return {
    name: 'aws-lambda',
    matches: (req) => /^\/20(15-03-31|16-08-19|17-03-31|17-10-31|19-09-30)\//.test(req.rawPath),
    handle: () => Promise.resolve({ status: 501, body: 'not implemented' }),
  };
}
